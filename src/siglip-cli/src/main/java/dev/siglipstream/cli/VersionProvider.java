package dev.siglipstream.cli;

import picocli.CommandLine;

/** Reads the version from the JAR manifest (or says it is a development build). */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {"siglip-stream " + (v != null ? v : "(development build)")};
    }
}
