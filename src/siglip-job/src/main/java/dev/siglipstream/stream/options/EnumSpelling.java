package dev.siglipstream.stream.options;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** How the job's enum settings are written by users: {@code exactly-once} for {@code EXACTLY_ONCE}. */
final class EnumSpelling {
    private EnumSpelling() {}

    /** The constant's name for a user's spelling (any case, '-' for '_'). */
    static String constantName(String spelled) {
        return spelled.trim().replace('-', '_').toUpperCase(Locale.ROOT);
    }

    /** The users' spellings of every constant of {@code type}, for error messages. */
    static List<String> spellings(Class<?> type) {
        List<String> out = new ArrayList<>();
        for (Object constant : type.getEnumConstants()) {
            out.add(((Enum<?>) constant).name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        return out;
    }
}
