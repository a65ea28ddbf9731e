package dev.siglipstream.siglip.archfixture;

import org.apache.flink.configuration.Configuration;

/** A library-style class with a forbidden Flink import: ArchitectureTest shows its rule catches it. Not production code. */
public final class LibraryClassUsingFlink {
    private LibraryClassUsingFlink() {}

    public static Configuration settings() {
        return new Configuration();
    }
}
