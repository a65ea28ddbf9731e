package dev.siglipstream.siglip.hub;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Downloads Hugging Face Hub model repositories into the huggingface_hub cache, in the same layout
 * and with the same environment variables, so Python tools and this library share one cache.
 *
 * <pre>{@code
 * HubClient hub = HubClient.fromEnvironment();   // HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_TOKEN, HF_HUB_OFFLINE
 * Path folder = hub.snapshot("Xenova/siglip-base-patch16-224", "main",
 *         f -> f.endsWith(".json") || f.equals("onnx/vision_model.onnx"));
 * }</pre>
 *
 * <p>Layout: {@code <cache>/models--org--name/blobs/<etag>} holds each file once;
 * {@code snapshots/<commit>/<path>} are relative symlinks to the blobs (copies where symlinks are
 * refused); {@code refs/<branch-or-tag>} holds the commit. Downloads go to
 * {@code blobs/<etag>.incomplete} and are moved into place atomically; a partial file is resumed
 * with a Range request. In offline mode no request is made at all.
 *
 * <p>Thread-safe; all failures are {@link HubException}s.
 */
public final class HubClient {
    /** The revision used when none is given. */
    public static final String DEFAULT_REVISION = "main";

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern REPO_ID = Pattern.compile("(?:[A-Za-z0-9_.-]+/)?[A-Za-z0-9_.-]{1,96}");

    private final String endpoint;
    private final HubCache cache;
    private final boolean offline;
    private final Consumer<String> log;
    private final DownloadProgress progress;
    private final HubHttp http;

    private HubClient(Builder b) {
        this.endpoint = b.endpoint;
        this.cache = new HubCache(b.cacheDir);
        this.offline = b.offline;
        this.log = b.logger;
        this.progress = b.progress;
        this.http = new HubHttp(b.endpoint, b.token, b.connectTimeout, b.readTimeout, b.maxRetries, b.logger);
    }

    /** A builder with huggingface_hub's defaults, ignoring the environment. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder pre-set from {@code HF_ENDPOINT}, {@code HF_HOME}, {@code HF_HUB_CACHE}, {@code HF_TOKEN} and {@code HF_HUB_OFFLINE}. */
    public static Builder builderFromEnvironment() {
        return builderFromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** A client configured from the environment variables huggingface_hub reads. */
    public static HubClient fromEnvironment() {
        return builderFromEnvironment().build();
    }

    static Builder builderFromEnvironment(Map<String, String> env, Path userHome) {
        HubEnvironment e = HubEnvironment.from(env, userHome);
        return new Builder()
                .endpoint(e.endpoint())
                .cacheDir(e.cacheDir())
                .token(e.token())
                .offline(e.offline())
                .connectTimeout(e.connectTimeout())
                .readTimeout(e.readTimeout());
    }

    public String endpoint() {
        return endpoint;
    }

    public Path cacheDir() {
        return cache.root();
    }

    public boolean offline() {
        return offline;
    }

    /**
     * The files of {@code repoId} at {@code revision} (one request). Offline, the files of the
     * cached snapshot instead.
     */
    public RepoListing listing(String repoId, String revision) {
        String rev = checkArgs(repoId, revision);
        if (offline) {
            return cachedListing(repoId, rev).orElseThrow(() -> notCached(repoId, rev, null));
        }
        try {
            RepoListing listing = http.listing(repoId, rev);
            cache.writeRef(repoId, rev, listing.commitSha());
            return listing;
        } catch (HubException e) {
            if (isUnreachable(e)) {
                Optional<RepoListing> cached = cachedListing(repoId, rev);
                if (cached.isPresent()) {
                    log.accept("warning: " + e.getMessage() + " — using the cached snapshot " + cache.snapshotDir(repoId, cached.get().commitSha()));
                    return cached.get();
                }
            }
            throw e;
        }
    }

    /**
     * Downloads the files of {@code repoId} at {@code revision} accepted by {@code wantFile} (given
     * repository-relative paths such as {@code onnx/model.onnx}) that are not cached yet, and
     * returns the snapshot folder. Offline, returns the cached snapshot folder as it is.
     */
    public Path snapshot(String repoId, String revision, Predicate<String> wantFile) {
        Objects.requireNonNull(wantFile, "wantFile");
        String rev = checkArgs(repoId, revision);
        if (offline) {
            return cachedSnapshot(repoId, rev).orElseThrow(() -> notCached(repoId, rev, null));
        }
        RepoListing listing = listing(repoId, rev);
        return snapshot(listing, wantFile);
    }

    /** Downloads the wanted files of an already fetched listing; the snapshot folder. */
    Path snapshot(RepoListing listing, Predicate<String> wantFile) {
        Path dir = cache.snapshotDir(listing.repoId(), listing.commitSha());
        if (offline) {
            if (!Files.isDirectory(dir)) {
                throw notCached(listing.repoId(), listing.revision(), null);
            }
            return dir;
        }
        for (String file : listing.files()) {
            if (wantFile.test(file)) {
                // Pinned to the listed commit, so a branch moving mid-download cannot mix two commits.
                file(listing.repoId(), listing.commitSha(), file);
            }
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw HubCache.localIo("cannot create " + dir, e);
        }
        return dir;
    }

    /**
     * Downloads one file unless cached and returns its path inside the snapshot folder. A cached
     * file at a commit-sha revision is returned without any request.
     */
    public Path file(String repoId, String revision, String filename) {
        String rev = checkArgs(repoId, revision);
        Objects.requireNonNull(filename, "filename");
        if (filename.isBlank() || filename.startsWith("/") || filename.contains("\\")) {
            throw new IllegalArgumentException("filename must be a repository-relative path with '/' separators, got '" + filename + "'");
        }
        if (HubCache.COMMIT_SHA.matcher(rev).matches()) {
            Path pointer = cache.pointer(repoId, rev, filename);
            if (Files.exists(pointer)) {
                return pointer;
            }
        }
        if (offline) {
            return cachedFile(repoId, rev, filename).orElseThrow(() -> notCached(repoId, rev, filename));
        }
        HubHttp.FileMetadata meta;
        try {
            meta = http.head(repoId, rev, filename);
        } catch (HubException e) {
            if (isUnreachable(e)) {
                Optional<Path> cached = cachedFile(repoId, rev, filename);
                if (cached.isPresent()) {
                    log.accept("warning: " + e.getMessage() + " — using the cached file " + cached.get());
                    return cached.get();
                }
            }
            throw e;
        }
        cache.writeRef(repoId, rev, meta.commit());
        Path pointer = cache.pointer(repoId, meta.commit(), filename);
        if (Files.exists(pointer)) {
            return pointer;
        }
        Path blob = cache.blob(repoId, meta.etag());
        cache.withBlobLock(repoId, meta.etag(), () -> {
            if (!Files.exists(blob)) {
                Files.createDirectories(blob.getParent());
                Path incomplete = blob.resolveSibling(meta.etag() + ".incomplete");
                log.accept("downloading " + repoId + "/" + filename + (meta.size() >= 0 ? " (" + meta.size() + " bytes)" : ""));
                HubHttp.Target target = new HubHttp.Target(repoId, rev, filename);
                boolean resumed = Files.exists(incomplete) && Files.size(incomplete) > 0;
                try (ProgressWatch watch = new ProgressWatch(progress.start(repoId, filename, meta.size()), incomplete)) {
                    http.download(meta.location(), incomplete, meta.size(), target);
                    watch.finished();
                }
                if (!contentMatches(meta, incomplete) && resumed) {
                    // The partial file came from elsewhere (or was corrupted): once more from byte 0.
                    log.accept("checksum mismatch after resuming " + filename + "; downloading it again from the start");
                    Files.delete(incomplete);
                    http.download(meta.location(), incomplete, meta.size(), target);
                }
                if (!contentMatches(meta, incomplete)) {
                    Files.delete(incomplete);
                    throw new HubException(HubException.Reason.PROTOCOL, "the sha256 of the downloaded " + target.describe()
                            + " differs from its X-Linked-Etag " + meta.etag() + " (from " + meta.location() + ")",
                            meta.location(), null);
                }
                HubCache.moveAtomically(incomplete, blob);
            }
            return null;
        });
        cache.link(blob, pointer);
        return pointer;
    }

    /** Polls a partial file's size into a {@link DownloadProgress.Transfer} while a download runs. */
    private static final class ProgressWatch implements AutoCloseable {
        private final DownloadProgress.Transfer transfer;
        private final Path file;
        private final Thread poller;

        ProgressWatch(DownloadProgress.Transfer transfer, Path file) {
            this.transfer = transfer;
            this.file = file;
            this.poller = new Thread(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        report();
                        Thread.sleep(200);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "hub-download-progress");
            poller.setDaemon(true);
            poller.start();
        }

        private void report() {
            try {
                if (Files.exists(file)) transfer.bytes(Files.size(file));
            } catch (IOException ignored) {
                // the file is being moved or replaced; the next poll sees it
            }
        }

        /** The transfer completed: show its final size before closing. */
        void finished() {
            report();
        }

        @Override
        public void close() {
            poller.interrupt();
            try {
                poller.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            transfer.close();
        }
    }

    /** LFS etags are the content's sha256, so a resumed or corrupted transfer can be caught. */
    private static boolean contentMatches(HubHttp.FileMetadata meta, Path file) throws IOException {
        if (!meta.lfs() || !SHA256.matcher(meta.etag()).matches()) {
            return true;
        }
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest()).equals(meta.etag());
    }

    /** The URL {@link #file} downloads from (before redirects). */
    public URI fileUrl(String repoId, String revision, String filename) {
        return http.resolveUrl(repoId, checkArgs(repoId, revision), filename);
    }

    private Optional<Path> cachedSnapshot(String repoId, String revision) {
        return cache.cachedCommit(repoId, revision)
                .map(commit -> cache.snapshotDir(repoId, commit))
                .filter(Files::isDirectory);
    }

    private Optional<Path> cachedFile(String repoId, String revision, String filename) {
        return cache.cachedCommit(repoId, revision)
                .map(commit -> cache.pointer(repoId, commit, filename))
                .filter(Files::exists);
    }

    private Optional<RepoListing> cachedListing(String repoId, String revision) {
        Optional<Path> dir = cachedSnapshot(repoId, revision);
        if (dir.isEmpty()) {
            return Optional.empty();
        }
        List<String> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir.get())) {
            walk.filter(p -> !Files.isDirectory(p))
                    .map(p -> dir.get().relativize(p).toString().replace('\\', '/'))
                    .sorted()
                    .forEach(files::add);
        } catch (IOException e) {
            throw HubCache.localIo("cannot list " + dir.get(), e);
        }
        return Optional.of(new RepoListing(repoId, revision, dir.get().getFileName().toString(), files));
    }

    private HubException notCached(String repoId, String revision, String filename) {
        String what = filename == null ? "model '" + repoId + "'" : "file '" + filename + "' of model '" + repoId + "'";
        String why = offline ? "offline mode is on (HF_HUB_OFFLINE=1) and " : "";
        return new HubException(HubException.Reason.OFFLINE_NOT_CACHED, why + what + " at revision '" + revision
                + "' is not in the cache " + cache.repoDir(repoId) + "; download it while online first (siglip download "
                + repoId + " --revision " + revision + ") or unset HF_HUB_OFFLINE");
    }

    private static boolean isUnreachable(HubException e) {
        return e.reason() == HubException.Reason.NETWORK || e.reason() == HubException.Reason.TIMEOUT;
    }

    private static String checkArgs(String repoId, String revision) {
        Objects.requireNonNull(repoId, "repoId");
        if (!REPO_ID.matcher(repoId).matches() || repoId.contains("--") || repoId.contains("..")
                || repoId.startsWith(".") || repoId.startsWith("-") || repoId.endsWith(".") || repoId.endsWith("-")) {
            throw new IllegalArgumentException("repoId must look like 'org/name' (letters, digits, '-', '_', '.'), got '" + repoId + "'");
        }
        String rev = revision == null || revision.isBlank() ? DEFAULT_REVISION : revision.strip();
        if (rev.contains("..") || rev.startsWith("/") || rev.contains("\\")) {
            throw new IllegalArgumentException("revision must be a branch, tag or commit sha, got '" + revision + "'");
        }
        return rev;
    }

    /** Configures a {@link HubClient}; every setting has huggingface_hub's default. */
    public static final class Builder {
        private String endpoint = HubEnvironment.DEFAULT_ENDPOINT;
        private Path cacheDir = Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
        private String token;
        private boolean offline;
        private Duration connectTimeout = HubEnvironment.DEFAULT_TIMEOUT;
        private Duration readTimeout = HubEnvironment.DEFAULT_TIMEOUT;
        private int maxRetries = 5;
        private Consumer<String> logger = m -> {};
        private DownloadProgress progress = DownloadProgress.NONE;

        private Builder() {}

        /** Told how each file download advances (e.g. a progress bar on a terminal); nothing by default. */
        public Builder progress(DownloadProgress progress) {
            this.progress = Objects.requireNonNull(progress, "progress");
            return this;
        }

        /** The Hub's base URL (HF_ENDPOINT), e.g. {@code https://huggingface.co} or a mirror. */
        public Builder endpoint(String endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        /** The hub cache folder (HF_HUB_CACHE), holding the {@code models--org--name} folders. */
        public Builder cacheDir(Path cacheDir) {
            this.cacheDir = cacheDir;
            return this;
        }

        /** The access token sent as {@code Authorization: Bearer}; null for none. */
        public Builder token(String token) {
            this.token = token == null || token.isBlank() ? null : token.strip();
            return this;
        }

        /** Never touch the network; serve only what the cache holds (HF_HUB_OFFLINE). */
        public Builder offline(boolean offline) {
            this.offline = offline;
            return this;
        }

        /** Longest wait for a connection (default 10 s, HF_HUB_ETAG_TIMEOUT). */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        /** Longest wait for a response or for the next bytes of a body (default 10 s, HF_HUB_DOWNLOAD_TIMEOUT). */
        public Builder readTimeout(Duration readTimeout) {
            this.readTimeout = readTimeout;
            return this;
        }

        /** How often a broken transfer is resumed within one call (default 5; 0 = fail at once, keeping the partial file). */
        public Builder maxRetries(int maxRetries) {
            this.maxRetries = maxRetries;
            return this;
        }

        /** Receives one line per download and per warning (e.g. print to stderr); silent by default. */
        public Builder logger(Consumer<String> logger) {
            this.logger = logger;
            return this;
        }

        public HubClient build() {
            Objects.requireNonNull(cacheDir, "cacheDir");
            Objects.requireNonNull(logger, "logger");
            String e = Objects.requireNonNull(endpoint, "endpoint").strip();
            while (e.endsWith("/")) {
                e = e.substring(0, e.length() - 1);
            }
            URI uri;
            try {
                uri = URI.create(e);
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("endpoint must be an http(s) URL, got '" + endpoint + "'", ex);
            }
            if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new IllegalArgumentException("endpoint must be an http(s) URL with a host, got '" + endpoint + "'");
            }
            endpoint = e;
            checkPositive("connectTimeout", connectTimeout);
            checkPositive("readTimeout", readTimeout);
            if (maxRetries < 0) {
                throw new IllegalArgumentException("maxRetries must be >= 0, got " + maxRetries);
            }
            return new HubClient(this);
        }

        private static void checkPositive(String name, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
            }
        }
    }
}
