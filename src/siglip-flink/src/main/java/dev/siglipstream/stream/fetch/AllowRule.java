package dev.siglipstream.stream.fetch;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;

/** One parsed allowlist entry: scheme + host (+ port) (+ path prefix), or a file directory. */
record AllowRule(String scheme, String host, int port, String pathPrefix) {
    /** Any port. */
    static final int ANY_PORT = -2;

    static AllowRule parse(String entry) {
        String e = entry.trim();
        boolean anyPort = false;
        // URI cannot parse "host:*", so the wildcard port is taken off first.
        int star = e.indexOf(":*");
        if (star > 0 && (e.length() == star + 2 || e.charAt(star + 2) == '/')) {
            anyPort = true;
            e = e.substring(0, star) + e.substring(star + 2);
        }
        boolean wildcardHost = e.contains("://*.");
        URI uri;
        try {
            uri = new URI(wildcardHost ? e.replace("://*.", "://wildcard.") : e);
        } catch (URISyntaxException ex) {
            throw new IllegalArgumentException("allowlist entry '" + entry + "' is not a URI: " + ex.getMessage(), ex);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getQuery() != null || uri.getFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("allowlist entry '" + entry + "' must not have user info, a query or a fragment");
        }
        switch (scheme) {
            case "http", "https" -> {
                if (uri.getHost() == null) {
                    throw new IllegalArgumentException("allowlist entry '" + entry + "' has no host, expected e.g. https://images.example.com");
                }
                String host = normalizeHost(uri.getHost());
                if (wildcardHost) {
                    host = "*." + host.substring("wildcard.".length());
                }
                int port = anyPort ? ANY_PORT : uri.getPort() >= 0 ? uri.getPort() : defaultPort(scheme);
                String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
                return new AllowRule(scheme, host, port, path);
            }
            case "file" -> {
                if (uri.getHost() != null && !uri.getHost().equalsIgnoreCase("localhost") || anyPort || wildcardHost) {
                    throw new IllegalArgumentException("allowlist entry '" + entry + "' must be file:///absolute/directory");
                }
                if (uri.getPath() == null || !uri.getPath().startsWith("/") || uri.getPath().equals("/")) {
                    throw new IllegalArgumentException("allowlist entry '" + entry + "' must name a directory other than /, e.g. file:///data/images");
                }
                return new AllowRule("file", "", -1, Path.of(uri.getPath()).normalize().toString());
            }
            default -> throw new IllegalArgumentException("allowlist entry '" + entry + "' has scheme '" + scheme
                    + "', expected http, https or file");
        }
    }

    static String normalizeHost(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    static int defaultPort(String scheme) {
        return scheme.equals("https") ? 443 : 80;
    }

    /** For http(s): whether this rule covers the (already normalised) scheme, host, port and path. */
    boolean matchesHttp(String uriScheme, String uriHost, int uriPort, String uriPath) {
        if (!scheme.equals(uriScheme)) {
            return false;
        }
        boolean hostOk = host.startsWith("*.") ? uriHost.endsWith(host.substring(1)) : host.equals(uriHost);
        boolean portOk = port == ANY_PORT || port == uriPort;
        return hostOk && portOk && pathUnder(uriPath, pathPrefix);
    }

    /** For file: whether the file's real path lies under this rule's directory (itself resolved). */
    boolean matchesFile(Path realFile) {
        if (!scheme.equals("file")) {
            return false;
        }
        try {
            return realFile.startsWith(Path.of(pathPrefix).toRealPath());
        } catch (IOException e) {
            return false; // the allowed directory does not exist: nothing under it can be fetched
        }
    }

    private static boolean pathUnder(String path, String prefix) {
        if (prefix.equals("/")) {
            return true;
        }
        String p = path == null || path.isEmpty() ? "/" : path;
        if (prefix.endsWith("/")) {
            return p.startsWith(prefix);
        }
        return p.equals(prefix) || p.startsWith(prefix + "/");
    }
}
