package dev.siglipstream.cli;

/** Entry point of the {@code siglip} command line (and of {@code java -jar}). */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.err.println("siglip: no commands yet");
        System.exit(2);
    }
}
