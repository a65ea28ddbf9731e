package dev.siglipstream.siglip.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The Hub's HTTP protocol: repository listing, file metadata (HEAD on {@code resolve}) and resumable
 * blob downloads; maps every failure to a {@link HubException} naming repo, revision, file and URL.
 */
final class HubHttp {
    private static final int MAX_REDIRECTS = 10;
    private static final Pattern SAFE_ETAG = Pattern.compile("[A-Za-z0-9._-]{1,200}");

    /**
     * What a HEAD on {@code resolve} says about a file; {@code size} is -1 when unknown;
     * {@code lfs} when the etag came from X-Linked-Etag, i.e. is the sha256 of the content.
     */
    record FileMetadata(String commit, String etag, URI location, long size, boolean lfs) {}

    /** What a request is about, for error messages; {@code filename} is null for listings. */
    record Target(String repoId, String revision, String filename) {
        String describe() {
            return "repo '" + repoId + "', revision '" + revision + "'" + (filename != null ? ", file '" + filename + "'" : "");
        }
    }

    private final HttpClient client;
    private final String endpoint;
    private final URI endpointUri;
    private final String token;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final int maxRetries;
    private final String userAgent;
    private final Consumer<String> log;
    private final ObjectMapper json = new ObjectMapper();

    HubHttp(String endpoint, String token, Duration connectTimeout, Duration readTimeout, int maxRetries, Consumer<String> log) {
        this.endpoint = endpoint;
        this.endpointUri = URI.create(endpoint);
        this.token = token;
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.maxRetries = maxRetries;
        this.log = log;
        String version = HubHttp.class.getPackage().getImplementationVersion();
        this.userAgent = "siglip-stream/" + (version != null ? version : "dev") + "; java/" + Runtime.version().feature();
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                // Redirects are followed by hand: the token must not follow a redirect to another host.
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    URI listingUrl(String repoId, String revision) {
        return URI.create(endpoint + "/api/models/" + repoId + "/revision/" + encodeSegment(revision));
    }

    URI resolveUrl(String repoId, String revision, String filename) {
        StringBuilder path = new StringBuilder(endpoint).append('/').append(repoId).append("/resolve/")
                .append(encodeSegment(revision));
        for (String segment : filename.split("/", -1)) {
            path.append('/').append(encodeSegment(segment));
        }
        return URI.create(path.toString());
    }

    /** GET {@code api/models/{repo}/revision/{rev}}: the commit and the file list. */
    RepoListing listing(String repoId, String revision) {
        Target target = new Target(repoId, revision, null);
        URI url = listingUrl(repoId, revision);
        URI current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest request = request(current).GET().header("Accept", "application/json").build();
            HttpResponse<byte[]> response = send(request, HttpResponse.BodyHandlers.ofByteArray(), target);
            int status = response.statusCode();
            if (isRedirect(status)) {
                current = redirectTarget(response, current, target);
                continue;
            }
            if (status != 200) {
                throw statusError(status, response.headers(), current, target);
            }
            return parseListing(response.body(), url, target);
        }
        throw tooManyRedirects(url, target);
    }

    private RepoListing parseListing(byte[] body, URI url, Target target) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (IOException e) {
            throw new HubException(HubException.Reason.PROTOCOL,
                    "the repository listing of " + target.describe() + " is not JSON (" + e.getMessage() + ") at " + url, url, e);
        }
        String sha = root.path("sha").asText("");
        if (!HubCache.COMMIT_SHA.matcher(sha).matches()) {
            throw new HubException(HubException.Reason.PROTOCOL,
                    "the repository listing of " + target.describe() + " has no 40-hex 'sha' (got '" + sha + "') at " + url, url, null);
        }
        JsonNode siblings = root.path("siblings");
        if (!siblings.isArray()) {
            throw new HubException(HubException.Reason.PROTOCOL,
                    "the repository listing of " + target.describe() + " has no 'siblings' array at " + url, url, null);
        }
        List<String> files = new java.util.ArrayList<>();
        for (JsonNode sibling : siblings) {
            String name = sibling.path("rfilename").asText("");
            if (!name.isEmpty()) {
                files.add(name);
            }
        }
        return new RepoListing(target.repoId(), target.revision(), sha, files);
    }

    /**
     * HEAD on {@code resolve}, following only relative redirects (renamed repositories), as
     * huggingface_hub does: an absolute redirect is the LFS CDN, whose URL becomes the download location.
     */
    FileMetadata head(String repoId, String revision, String filename) {
        Target target = new Target(repoId, revision, filename);
        URI url = resolveUrl(repoId, revision, filename);
        URI current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest request = request(current)
                    .method("HEAD", HttpRequest.BodyPublishers.noBody())
                    // Without compression Content-Length is the file size.
                    .header("Accept-Encoding", "identity")
                    .build();
            HttpResponse<Void> response = send(request, HttpResponse.BodyHandlers.discarding(), target);
            int status = response.statusCode();
            if (isRedirect(status)) {
                String location = response.headers().firstValue("Location").orElse("");
                URI next = redirectTarget(response, current, target);
                if (URI.create(location).getHost() == null) {
                    current = next;
                    continue;
                }
                return metadata(response.headers(), next, current, target);
            }
            if (status >= 200 && status < 300) {
                return metadata(response.headers(), current, current, target);
            }
            throw statusError(status, response.headers(), current, target);
        }
        throw tooManyRedirects(url, target);
    }

    private FileMetadata metadata(HttpHeaders headers, URI location, URI url, Target target) {
        String commit = headers.firstValue("X-Repo-Commit").orElse(null);
        String etag = normalizeEtag(headers.firstValue("X-Linked-Etag").or(() -> headers.firstValue("ETag")).orElse(null));
        if (commit == null || !HubCache.COMMIT_SHA.matcher(commit).matches()) {
            throw new HubException(HubException.Reason.PROTOCOL, "the server sent no 40-hex X-Repo-Commit header (got '"
                    + commit + "') for " + target.describe() + " at " + url + "; is " + endpoint + " a Hugging Face Hub?", url, null);
        }
        if (etag == null || !SAFE_ETAG.matcher(etag).matches() || etag.startsWith(".")) {
            throw new HubException(HubException.Reason.PROTOCOL, "the server sent no usable ETag or X-Linked-Etag header (got '"
                    + etag + "') for " + target.describe() + " at " + url, url, null);
        }
        long size = headers.firstValue("X-Linked-Size").or(() -> headers.firstValue("Content-Length"))
                .map(HubHttp::parseLongOrMinusOne).orElse(-1L);
        boolean lfs = headers.firstValue("X-Linked-Etag").isPresent();
        return new FileMetadata(commit, etag, location, size, lfs);
    }

    /** huggingface_hub's {@code _normalize_etag}: drop a weak-validator prefix and the quotes. */
    static String normalizeEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e;
    }

    /**
     * Downloads {@code url} into {@code incomplete}, resuming from its current size with a Range
     * request and retrying a broken transfer up to {@code maxRetries} times.
     */
    void download(URI url, Path incomplete, long expectedSize, Target target) {
        int retries = 0;
        while (true) {
            long have = size(incomplete);
            if (expectedSize >= 0 && have > expectedSize) {
                truncate(incomplete);
                have = 0;
            }
            if (expectedSize > 0 && have == expectedSize) {
                return;
            }
            try {
                fetch(url, incomplete, have, target);
            } catch (BrokenTransfer broken) {
                long got = size(incomplete);
                if (retries++ < maxRetries) {
                    log.accept("transfer of " + target.filename() + " broke after " + got + " bytes (" + broken.getCause()
                            + "); resuming (retry " + retries + " of " + maxRetries + ")");
                    continue;
                }
                throw new HubException(HubException.Reason.NETWORK, "the download of " + target.describe() + " broke after "
                        + got + " bytes (" + broken.getCause() + ") at " + broken.url + "; the partial file " + incomplete
                        + " is kept and the next attempt resumes it", broken.url, broken.getCause());
            }
            long got = size(incomplete);
            if (expectedSize >= 0 && got != expectedSize) {
                truncate(incomplete);
                throw new HubException(HubException.Reason.PROTOCOL, "downloaded " + got + " bytes of " + target.describe()
                        + " but the server announced " + expectedSize + " at " + url, url, null);
            }
            return;
        }
    }

    private void fetch(URI url, Path incomplete, long have, Target target) throws BrokenTransfer {
        URI current = url;
        long offset = have;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder builder = request(current).GET();
            if (offset > 0) {
                builder.header("Range", "bytes=" + offset + "-");
            }
            FileBody body = new FileBody(incomplete, offset);
            HttpResponse<Long> response;
            try {
                response = await(client.sendAsync(builder.build(), body), body, current, target);
            } catch (BrokenTransfer e) {
                if (body.failure != null) {
                    throw HubCache.localIo("cannot write " + incomplete, body.failure);
                }
                throw e;
            } finally {
                body.close();
            }
            int status = response.statusCode();
            if (isRedirect(status)) {
                current = redirectTarget(response, current, target);
                continue;
            }
            if (status == 416) {
                // The partial file does not fit the server's copy: start over.
                truncate(incomplete);
                offset = 0;
                continue;
            }
            if (status == 200 || status == 206) {
                if (body.failure != null) {
                    throw HubCache.localIo("cannot write " + incomplete, body.failure);
                }
                if (!body.streamed) {
                    // A 206 for a range we did not ask for: start over from byte 0.
                    truncate(incomplete);
                    offset = 0;
                    continue;
                }
                return;
            }
            throw statusError(status, response.headers(), current, target);
        }
        throw tooManyRedirects(url, target);
    }

    /**
     * Waits for a transfer, failing when no byte arrived for a whole read timeout; the request
     * timeout alone would only bound the wait for the response headers.
     */
    private <T> HttpResponse<T> await(CompletableFuture<HttpResponse<T>> future, FileBody body, URI url, Target target)
            throws BrokenTransfer {
        long lastSeen = -1;
        while (true) {
            try {
                return future.get(readTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                long now = body.written.get();
                if (now == lastSeen) {
                    future.cancel(true);
                    throw new HubException(HubException.Reason.TIMEOUT, "no data for " + readTimeout.toMillis() + " ms while downloading "
                            + target.describe() + " from " + url + " (read timeout; raise it with HF_HUB_DOWNLOAD_TIMEOUT)", url, e);
                }
                lastSeen = now;
            } catch (InterruptedException e) {
                future.cancel(true);
                Thread.currentThread().interrupt();
                throw new HubException(HubException.Reason.NETWORK, "interrupted while downloading " + target.describe() + " from " + url, url, e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof IOException io && !(io instanceof HttpTimeoutException) && find(io, ConnectException.class) == null) {
                    throw new BrokenTransfer(url, io);
                }
                throw networkError(cause, url, target);
            }
        }
    }

    private HttpRequest.Builder request(URI url) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(readTimeout).header("User-Agent", userAgent);
        if (token != null && sameOrigin(url, endpointUri)) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler, Target target) {
        try {
            return client.send(request, handler);
        } catch (IOException e) {
            throw networkError(e, request.uri(), target);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(HubException.Reason.NETWORK, "interrupted while requesting " + request.uri(), request.uri(), e);
        }
    }

    private HubException networkError(Throwable e, URI url, Target target) {
        String where = " for " + target.describe() + " at " + url;
        String hint = "; set HF_HUB_OFFLINE=1 to use only the local cache";
        if (find(e, HttpConnectTimeoutException.class) != null) {
            return new HubException(HubException.Reason.TIMEOUT, "connecting to " + url.getHost() + ":" + port(url) + " timed out after "
                    + connectTimeout.toMillis() + " ms" + where + hint, url, e);
        }
        if (find(e, HttpTimeoutException.class) != null) {
            return new HubException(HubException.Reason.TIMEOUT, "no response within " + readTimeout.toMillis() + " ms" + where
                    + " (read timeout; raise it with HF_HUB_DOWNLOAD_TIMEOUT)", url, e);
        }
        if (find(e, ConnectException.class) != null) {
            return new HubException(HubException.Reason.NETWORK, "cannot connect to " + url.getHost() + ":" + port(url)
                    + " (connection refused or unreachable)" + where + hint, url, e);
        }
        return new HubException(HubException.Reason.NETWORK, "network error (" + e + ")" + where + hint, url, e);
    }

    HubException statusError(int status, HttpHeaders headers, URI url, Target target) {
        String code = headers.firstValue("X-Error-Code").orElse("");
        String serverMessage = headers.firstValue("X-Error-Message").map(m -> " Server says: " + m).orElse("");
        String where = " — " + target.describe() + " (HTTP " + status + " from " + url + ")." + serverMessage;
        String tokenHint = token == null
                ? " No token was sent: set HF_TOKEN or write one to $HF_HOME/token."
                : " A token was sent; check that it is valid and its user has access.";
        switch (code) {
            case "GatedRepo":
                return new HubException(status == 401 ? HubException.Reason.UNAUTHORIZED : HubException.Reason.FORBIDDEN,
                        "repository '" + target.repoId() + "' is gated: accept its conditions at " + endpoint + "/" + target.repoId()
                                + " and use a token of that account" + where + tokenHint, url, null);
            case "RepoNotFound":
                return new HubException(status == 401 ? HubException.Reason.UNAUTHORIZED : HubException.Reason.REPO_NOT_FOUND,
                        "repository '" + target.repoId() + "' not found on " + endpoint + " (or it is private and needs a token)"
                                + where + (status == 401 ? tokenHint : ""), url, null);
            case "RevisionNotFound":
                return new HubException(HubException.Reason.REVISION_NOT_FOUND,
                        "revision '" + target.revision() + "' not found in repository '" + target.repoId() + "'" + where, url, null);
            case "EntryNotFound":
                return new HubException(HubException.Reason.FILE_NOT_FOUND,
                        "file '" + target.filename() + "' not found in repository '" + target.repoId() + "' at revision '"
                                + target.revision() + "'" + where, url, null);
            default:
                break;
        }
        if (status == 401) {
            return new HubException(HubException.Reason.UNAUTHORIZED,
                    "unauthorized: the repository may be private or gated and need a token" + where + tokenHint, url, null);
        }
        if (status == 403) {
            return new HubException(HubException.Reason.FORBIDDEN,
                    "forbidden: the repository may be gated (accept its conditions on the Hub) or the token lacks access" + where
                            + tokenHint, url, null);
        }
        if (status == 404) {
            return target.filename() == null
                    ? new HubException(HubException.Reason.REPO_NOT_FOUND, "repository '" + target.repoId() + "' or revision '"
                            + target.revision() + "' not found on " + endpoint + where, url, null)
                    : new HubException(HubException.Reason.FILE_NOT_FOUND, "file '" + target.filename() + "' not found in repository '"
                            + target.repoId() + "' at revision '" + target.revision() + "'" + where, url, null);
        }
        return new HubException(HubException.Reason.PROTOCOL, "unexpected HTTP status " + status + where, url, null);
    }

    private URI redirectTarget(HttpResponse<?> response, URI current, Target target) {
        String location = response.headers().firstValue("Location").orElse(null);
        if (location == null || location.isBlank()) {
            throw new HubException(HubException.Reason.PROTOCOL, "HTTP " + response.statusCode() + " without a Location header for "
                    + target.describe() + " at " + current, current, null);
        }
        try {
            return current.resolve(location);
        } catch (IllegalArgumentException e) {
            throw new HubException(HubException.Reason.PROTOCOL, "unusable redirect Location '" + location + "' for "
                    + target.describe() + " at " + current, current, e);
        }
    }

    private static HubException tooManyRedirects(URI url, Target target) {
        return new HubException(HubException.Reason.PROTOCOL,
                "more than " + MAX_REDIRECTS + " redirects for " + target.describe() + " starting at " + url, url, null);
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    /** Same scheme, host and port: only then may the token travel (as requests' rebuild_auth decides). */
    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        if (u.getPort() != -1) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    static String encodeSegment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static long parseLongOrMinusOne(String s) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long size(Path p) {
        try {
            return Files.exists(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            throw HubCache.localIo("cannot read the size of " + p, e);
        }
    }

    private static void truncate(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw HubCache.localIo("cannot delete " + p, e);
        }
    }

    private static <E extends Throwable> E find(Throwable t, Class<E> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    /** A transfer that broke after it started; the partial file can be resumed. */
    private static final class BrokenTransfer extends Exception {
        private static final long serialVersionUID = 1L;
        final transient URI url;

        BrokenTransfer(URI url, IOException cause) {
            super(cause);
            this.url = url;
        }
    }

    /**
     * Streams a 200 or 206 body into the partial file (truncating on 200, appending on 206) and
     * discards any other body; counts bytes so a stalled transfer can be detected.
     */
    private static final class FileBody implements HttpResponse.BodyHandler<Long> {
        final AtomicLong written = new AtomicLong();
        private final Path file;
        private final long offset;
        private final Object lock = new Object();
        private FileChannel channel;
        private boolean closed;
        volatile IOException failure;
        volatile boolean streamed;

        FileBody(Path file, long offset) {
            this.file = file;
            this.offset = offset;
        }

        @Override
        public HttpResponse.BodySubscriber<Long> apply(HttpResponse.ResponseInfo info) {
            int status = info.statusCode();
            boolean append = status == 206 && offset > 0 && rangeStartsAt(info.headers(), offset);
            if (status != 200 && !append) {
                return HttpResponse.BodySubscribers.replacing(-1L);
            }
            synchronized (lock) {
                try {
                    channel = append
                            ? FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                            : FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                                    StandardOpenOption.TRUNCATE_EXISTING);
                } catch (IOException e) {
                    failure = e;
                    return HttpResponse.BodySubscribers.replacing(-1L);
                }
            }
            streamed = true;
            return new Sink();
        }

        private static boolean rangeStartsAt(HttpHeaders headers, long offset) {
            Optional<String> range = headers.firstValue("Content-Range");
            return range.map(r -> r.strip().toLowerCase(Locale.ROOT).startsWith("bytes " + offset + "-")).orElse(false);
        }

        void close() {
            synchronized (lock) {
                closed = true;
                if (channel != null) {
                    try {
                        channel.close();
                    } catch (IOException e) {
                        if (failure == null) {
                            failure = e;
                        }
                    }
                }
            }
        }

        private final class Sink implements HttpResponse.BodySubscriber<Long> {
            private final CompletableFuture<Long> result = new CompletableFuture<>();
            private Flow.Subscription subscription;

            @Override
            public CompletionStage<Long> getBody() {
                return result;
            }

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                s.request(1);
            }

            @Override
            public void onNext(List<ByteBuffer> buffers) {
                synchronized (lock) {
                    try {
                        if (closed) {
                            throw new IOException("download abandoned");
                        }
                        for (ByteBuffer b : buffers) {
                            while (b.hasRemaining()) {
                                written.addAndGet(channel.write(b));
                            }
                        }
                    } catch (IOException e) {
                        failure = e;
                        subscription.cancel();
                        result.completeExceptionally(e);
                        return;
                    }
                }
                subscription.request(1);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                synchronized (lock) {
                    try {
                        channel.force(false);
                    } catch (IOException e) {
                        failure = e;
                    }
                }
                result.complete(written.get());
            }
        }
    }
}
