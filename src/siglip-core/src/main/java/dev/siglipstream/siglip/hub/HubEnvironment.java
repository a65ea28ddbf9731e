package dev.siglipstream.siglip.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The Hub settings read from environment variables, with the same names, precedence and defaults
 * as huggingface_hub's {@code constants.py}.
 */
record HubEnvironment(
        String endpoint,
        Path cacheDir,
        Path hfHome,
        String token,
        boolean offline,
        Duration connectTimeout,
        Duration readTimeout) {

    static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    /** huggingface_hub's HF_HUB_ETAG_TIMEOUT / HF_HUB_DOWNLOAD_TIMEOUT default. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private static final Set<String> TRUE_VALUES = Set.of("1", "ON", "YES", "TRUE");

    /**
     * Resolves the settings from {@code env} (normally {@link System#getenv()}) and the user's home
     * folder, which stands in for {@code ~}. Reads the token file when no token variable is set.
     */
    static HubEnvironment from(Map<String, String> env, Path userHome) {
        String endpoint = stripTrailingSlashes(nonBlank(env.get("HF_ENDPOINT"), DEFAULT_ENDPOINT));

        String xdgCache = nonBlank(env.get("XDG_CACHE_HOME"), null);
        Path defaultHome =
                (xdgCache != null ? expand(xdgCache, userHome) : userHome.resolve(".cache")).resolve("huggingface");
        Path hfHome = env.get("HF_HOME") != null && !env.get("HF_HOME").isBlank()
                ? expand(env.get("HF_HOME"), userHome)
                : defaultHome;

        // HF_HUB_CACHE wins over the legacy HUGGINGFACE_HUB_CACHE, which wins over $HF_HOME/hub.
        String cache = nonBlank(env.get("HF_HUB_CACHE"), nonBlank(env.get("HUGGINGFACE_HUB_CACHE"), null));
        Path cacheDir = cache != null ? expand(cache, userHome) : hfHome.resolve("hub");

        String token = nonBlank(env.get("HF_TOKEN"), nonBlank(env.get("HUGGING_FACE_HUB_TOKEN"), null));
        if (token == null) {
            String tokenPath = nonBlank(env.get("HF_TOKEN_PATH"), null);
            token = readTokenFile(tokenPath != null ? expand(tokenPath, userHome) : hfHome.resolve("token"));
        }

        boolean offline = isTrue(env.get("HF_HUB_OFFLINE"));
        Duration connect = seconds(env, "HF_HUB_ETAG_TIMEOUT");
        Duration read = seconds(env, "HF_HUB_DOWNLOAD_TIMEOUT");
        return new HubEnvironment(endpoint, cacheDir, hfHome, token == null ? null : token.strip(), offline, connect, read);
    }

    static boolean isTrue(String value) {
        return value != null && TRUE_VALUES.contains(value.strip().toUpperCase(Locale.ROOT));
    }

    private static Duration seconds(Map<String, String> env, String name) {
        String value = nonBlank(env.get(name), null);
        if (value == null) {
            return DEFAULT_TIMEOUT;
        }
        try {
            double s = Double.parseDouble(value.strip());
            if (s <= 0 || Double.isNaN(s) || Double.isInfinite(s)) {
                throw new NumberFormatException();
            }
            return Duration.ofMillis(Math.round(s * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    name + " must be a positive number of seconds, got '" + value + "'", e);
        }
    }

    private static String readTokenFile(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            String token = Files.readString(file, StandardCharsets.UTF_8).strip();
            return token.isEmpty() ? null : token;
        } catch (IOException e) {
            throw new HubException(
                    HubException.Reason.LOCAL_IO, "cannot read the Hub token file " + file + ": " + e.getMessage(), null, e);
        }
    }

    private static Path expand(String path, Path userHome) {
        if (path.equals("~")) {
            return userHome;
        }
        if (path.startsWith("~/")) {
            return userHome.resolve(path.substring(2));
        }
        return Path.of(path);
    }

    private static String nonBlank(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }

    private static String stripTrailingSlashes(String s) {
        String out = s.strip();
        while (out.endsWith("/")) {
            out = out.substring(0, out.length() - 1);
        }
        return out;
    }
}
