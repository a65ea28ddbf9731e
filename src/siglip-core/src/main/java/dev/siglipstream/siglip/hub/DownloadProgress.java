package dev.siglipstream.siglip.hub;

/**
 * Told how far each file download has come (for a progress bar); the client polls the partial
 * file's size a few times a second while a transfer runs, so the transfer itself is untouched.
 *
 * <pre>{@code
 * HubClient hub = HubClient.builderFromEnvironment().progress((repo, file, total) -> new DownloadProgress.Transfer() {
 *     public void bytes(long done) { ... }
 *     public void close() { ... }
 * }).build();
 * }</pre>
 */
@FunctionalInterface
public interface DownloadProgress {
    /** Reports nothing. */
    DownloadProgress NONE = (repoId, filename, totalBytes) -> new Transfer() {
        @Override
        public void bytes(long done) {}

        @Override
        public void close() {}
    };

    /**
     * A file download starts.
     *
     * @param totalBytes the file's size, or -1 when the server did not say
     */
    Transfer start(String repoId, String filename, long totalBytes);

    /** One file's transfer: bytes on disk so far (a resumed transfer starts above 0), closed when it ends. */
    interface Transfer extends AutoCloseable {
        void bytes(long done);

        @Override
        void close();
    }
}
