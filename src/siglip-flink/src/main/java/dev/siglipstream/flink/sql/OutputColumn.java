package dev.siglipstream.flink.sql;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeFamily;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

/** The columns a SigLIP model's OUTPUT may declare, found by name, in any order. */
enum OutputColumn {
    /** The kept labels, best first. */
    LABELS("ARRAY<STRING>"),
    /** Their scores, in the same order. */
    SCORES("ARRAY<FLOAT>"),
    /** The image's L2-normalised embedding. */
    EMBEDDING("ARRAY<FLOAT>"),
    /** Why the image could not be scored (its other outputs are then NULL); NULL when it was. */
    ERROR("STRING");

    private final String sqlType;

    OutputColumn(String sqlType) {
        this.sqlType = sqlType;
    }

    String columnName() {
        return name().toLowerCase(Locale.ROOT);
    }

    String sqlType() {
        return sqlType;
    }

    /** The column called {@code name} (any case), or null. */
    static OutputColumn named(String name) {
        for (OutputColumn c : values()) {
            if (c.columnName().equalsIgnoreCase(name)) {
                return c;
            }
        }
        return null;
    }

    /** Whether {@code type} holds this column's values (nullability aside). */
    boolean accepts(LogicalType type) {
        return switch (this) {
            case LABELS -> type instanceof ArrayType a && a.getElementType().is(LogicalTypeFamily.CHARACTER_STRING);
            case SCORES, EMBEDDING -> type instanceof ArrayType a && a.getElementType().is(LogicalTypeRoot.FLOAT);
            case ERROR -> type.is(LogicalTypeFamily.CHARACTER_STRING);
        };
    }

    /** "labels ARRAY<STRING>, scores ARRAY<FLOAT>, ...", for error messages. */
    static String describeAll() {
        return Arrays.stream(values()).map(c -> c.columnName() + " " + c.sqlType()).collect(Collectors.joining(", "));
    }
}
