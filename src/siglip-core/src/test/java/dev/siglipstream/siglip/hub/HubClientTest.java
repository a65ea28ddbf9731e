package dev.siglipstream.siglip.hub;

import static dev.siglipstream.testutils.FakeHubServer.COMMIT;
import static dev.siglipstream.testutils.FakeHubServer.REPO_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.siglipstream.testutils.FakeHubServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads against a loopback fake Hub: cache layout, caching, revisions, errors, resume, offline mode. */
class HubClientTest {
    private static final String COMMIT_V2 = "aaaabbbbccccddddeeeeffff0000111122223333";
    private static final String BIG = "onnx/model.onnx";

    @TempDir Path cache;
    @TempDir Path scratch;
    private FakeHubServer server;
    private final List<String> log = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startServer() throws IOException {
        server = FakeHubServer.start().addRevision(REPO_ID, COMMIT, FakeHubServer.tinyModelFolder(), "main");
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private HubClient.Builder client() {
        return HubClient.builder()
                .endpoint(server.endpoint())
                .cacheDir(cache)
                .connectTimeout(Duration.ofSeconds(2))
                .readTimeout(Duration.ofSeconds(5))
                .logger(log::add);
    }

    private Path repoDir() {
        return cache.resolve("models--Xenova--siglip-tiny");
    }

    private static List<String> modelFiles() throws IOException {
        Path root = FakeHubServer.tinyModelFolder();
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/')).sorted().toList();
        }
    }

    @Test
    void snapshotWritesTheHuggingFaceCacheLayout() throws IOException {
        Path snapshot = client().build().snapshot(REPO_ID, "main", f -> true);

        assertThat(snapshot).isEqualTo(repoDir().resolve("snapshots").resolve(COMMIT));
        assertThat(Files.readString(repoDir().resolve("refs/main"))).isEqualTo(COMMIT);
        List<String> files = modelFiles();
        assertThat(files).contains("config.json", "spiece.model", BIG, "onnx/vision_model.onnx", "onnx/text_model.onnx");
        for (String f : files) {
            Path pointer = snapshot.resolve(f);
            String etag = server.etag(REPO_ID, COMMIT, f);
            assertThat(Files.isSymbolicLink(pointer)).as(f).isTrue();
            String up = "../".repeat(f.split("/").length + 1);
            assertThat(Files.readSymbolicLink(pointer).toString()).as(f).isEqualTo(up + "blobs/" + etag);
            assertThat(Files.readAllBytes(pointer)).as(f).isEqualTo(server.content(REPO_ID, COMMIT, f));
        }
        Set<String> expectedBlobs = files.stream().map(f -> server.etag(REPO_ID, COMMIT, f)).collect(Collectors.toSet());
        try (Stream<Path> blobs = Files.list(repoDir().resolve("blobs"))) {
            assertThat(blobs.map(p -> p.getFileName().toString())).containsExactlyInAnyOrderElementsOf(expectedBlobs);
        }
        // One listing, then per file one HEAD and one GET, each naming the project as User-Agent.
        assertThat(server.requests()).hasSize(1 + 2 * files.size())
                .allSatisfy(r -> assertThat(r.userAgent()).startsWith("siglip-stream/"));
        assertThat(server.requests().get(0).path()).isEqualTo("/api/models/Xenova/siglip-tiny/revision/main");
    }

    @Test
    void secondSnapshotDownloadsNothing() {
        HubClient hub = client().build();
        Path first = hub.snapshot(REPO_ID, "main", f -> true);
        server.clearRequests();

        Path second = hub.snapshot(REPO_ID, "main", f -> true);

        assertThat(second).isEqualTo(first);
        // Only the listing: files of a known commit are taken from the cache without a HEAD.
        assertThat(server.requests()).extracting(FakeHubServer.Recorded::path)
                .containsExactly("/api/models/Xenova/siglip-tiny/revision/main");
    }

    @Test
    void fileAtACachedCommitNeedsNoRequest() {
        HubClient hub = client().build();
        Path viaBranch = hub.file(REPO_ID, "main", "config.json");
        server.clearRequests();

        Path viaSha = hub.file(REPO_ID, COMMIT, "config.json");

        assertThat(viaSha).isEqualTo(viaBranch);
        assertThat(server.requestCount()).isZero();
    }

    @Test
    void filterSelectsFiles() throws IOException {
        Path snapshot = client().build().snapshot(REPO_ID, null, f -> f.endsWith(".json"));

        try (Stream<Path> walk = Files.walk(snapshot)) {
            assertThat(walk.filter(p -> !Files.isDirectory(p)).map(p -> snapshot.relativize(p).toString()))
                    .containsExactlyInAnyOrder("config.json", "preprocessor_config.json", "special_tokens_map.json",
                            "tokenizer_config.json");
        }
        assertThat(server.downloads()).hasSize(4);
    }

    @Test
    void revisionsArePinnedAndShareBlobs() throws IOException {
        Path v2 = scratch.resolve("v2");
        FakeHubServer.copyFolder(FakeHubServer.tinyModelFolder(), v2);
        Files.writeString(v2.resolve("config.json"), "{\"model_type\": \"siglip\", \"changed\": true}");
        server.addRevision(REPO_ID, COMMIT_V2, v2, "v2");
        HubClient hub = client().build();

        Path main = hub.snapshot(REPO_ID, "main", f -> true);
        server.clearRequests();
        Path second = hub.snapshot(REPO_ID, "v2", f -> true);

        assertThat(main.getFileName()).hasToString(COMMIT);
        assertThat(second.getFileName()).hasToString(COMMIT_V2);
        assertThat(Files.readString(second.resolve("config.json"))).contains("\"changed\": true");
        assertThat(Files.readString(main.resolve("config.json"))).doesNotContain("changed");
        assertThat(Files.readString(repoDir().resolve("refs/v2"))).isEqualTo(COMMIT_V2);
        assertThat(Files.readString(repoDir().resolve("refs/main"))).isEqualTo(COMMIT);
        // Unchanged files are existing blobs: only config.json was fetched.
        assertThat(server.downloads()).extracting(FakeHubServer.Recorded::path)
                .containsExactly("/Xenova/siglip-tiny/resolve/" + COMMIT_V2 + "/config.json");
        assertThat(Files.readSymbolicLink(second.resolve(BIG))).isEqualTo(Files.readSymbolicLink(main.resolve(BIG)));

        // A commit sha as revision writes no ref.
        Path bySha = hub.snapshot(REPO_ID, COMMIT_V2, f -> true);
        assertThat(bySha).isEqualTo(second);
        assertThat(repoDir().resolve("refs/" + COMMIT_V2)).doesNotExist();
    }

    @Test
    void missingRepositoryNamesRepoRevisionAndUrl() {
        assertThatThrownBy(() -> client().build().snapshot("Xenova/no-such-model", "main", f -> true))
                .isInstanceOfSatisfying(HubException.class, e -> {
                    assertThat(e.reason()).isEqualTo(HubException.Reason.REPO_NOT_FOUND);
                    assertThat(e.url()).hasToString(server.endpoint() + "/api/models/Xenova/no-such-model/revision/main");
                })
                .hasMessageContaining("'Xenova/no-such-model'")
                .hasMessageContaining("revision 'main'")
                .hasMessageContaining("HTTP 404 from " + server.endpoint() + "/api/models/Xenova/no-such-model/revision/main");
    }

    @Test
    void missingFileNamesRepoRevisionFileAndUrl() {
        String url = server.endpoint() + "/Xenova/siglip-tiny/resolve/main/onnx/model_fp16.onnx";
        assertThatThrownBy(() -> client().build().file(REPO_ID, "main", "onnx/model_fp16.onnx"))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.reason()).isEqualTo(HubException.Reason.FILE_NOT_FOUND))
                .hasMessageContaining("file 'onnx/model_fp16.onnx' not found in repository 'Xenova/siglip-tiny' at revision 'main'")
                .hasMessageContaining(url);
    }

    @Test
    void missingRevisionIsReported() {
        assertThatThrownBy(() -> client().build().snapshot(REPO_ID, "v9", f -> true))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.reason()).isEqualTo(HubException.Reason.REVISION_NOT_FOUND))
                .hasMessageContaining("revision 'v9' not found in repository 'Xenova/siglip-tiny'");
    }

    @Test
    void privateRepositoryNeedsToken() {
        server.requireToken("hf_secret");

        assertThatThrownBy(() -> client().build().snapshot(REPO_ID, "main", f -> true))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.reason()).isEqualTo(HubException.Reason.UNAUTHORIZED))
                .hasMessageContaining("need a token")
                .hasMessageContaining("HF_TOKEN")
                .hasMessageContaining("HTTP 401");

        Path snapshot = client().token("hf_secret").build().snapshot(REPO_ID, "main", f -> f.equals("config.json"));
        assertThat(snapshot.resolve("config.json")).exists();
        assertThat(server.requests()).last().extracting(FakeHubServer.Recorded::authorization).isEqualTo("Bearer hf_secret");
    }

    @Test
    void tokenIsNotSentToTheCdnHost() throws IOException {
        server.requireToken("hf_secret").redirectToCdn(true);

        Path file = client().token("hf_secret").build().file(REPO_ID, "main", BIG);

        assertThat(Files.readAllBytes(file)).isEqualTo(server.content(REPO_ID, COMMIT, BIG));
        List<FakeHubServer.Recorded> cdn = server.requests().stream().filter(r -> r.server().equals("cdn")).toList();
        assertThat(cdn).singleElement().satisfies(r -> {
            assertThat(r.path()).isEqualTo("/cdn/" + server.etag(REPO_ID, COMMIT, BIG));
            assertThat(r.authorization()).isNull();
        });
        assertThat(server.requests().stream().filter(r -> r.server().equals("hub")))
                .allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer hf_secret"));
    }

    @Test
    void brokenTransferIsResumedWithARangeRequest() throws IOException {
        server.redirectToCdn(true).cutOnce(BIG, 100_000);

        Path file = client().build().file(REPO_ID, "main", BIG);

        assertThat(Files.readAllBytes(file)).isEqualTo(server.content(REPO_ID, COMMIT, BIG));
        assertThat(server.downloads()).extracting(FakeHubServer.Recorded::range).containsExactly(null, "bytes=100000-");
        assertThat(log).anyMatch(l -> l.contains("resuming"));
        assertThat(repoDir().resolve("blobs").resolve(server.etag(REPO_ID, COMMIT, BIG) + ".incomplete")).doesNotExist();
    }

    @Test
    void partialFileIsResumedByTheNextCall() throws IOException {
        server.cutOnce(BIG, 70_000);
        HubClient hub = client().maxRetries(0).build();
        Path incomplete = repoDir().resolve("blobs").resolve(server.etag(REPO_ID, COMMIT, BIG) + ".incomplete");

        assertThatThrownBy(() -> hub.file(REPO_ID, "main", BIG))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.reason()).isEqualTo(HubException.Reason.NETWORK))
                .hasMessageContaining("broke after 70000 bytes")
                .hasMessageContaining("file '" + BIG + "'");
        assertThat(incomplete).hasSize(70_000);

        Path file = hub.file(REPO_ID, "main", BIG);

        assertThat(Files.readAllBytes(file)).isEqualTo(server.content(REPO_ID, COMMIT, BIG));
        assertThat(server.downloads()).extracting(FakeHubServer.Recorded::range).containsExactly(null, "bytes=70000-");
        assertThat(incomplete).doesNotExist();
    }

    @Test
    void serverIgnoringTheRangeRestartsFromScratch() throws IOException {
        server.ignoreRanges(true);
        Path incomplete = writeStalePartial(500);

        Path file = client().build().file(REPO_ID, "main", BIG);

        assertThat(Files.readAllBytes(file)).isEqualTo(server.content(REPO_ID, COMMIT, BIG));
        assertThat(server.downloads()).extracting(FakeHubServer.Recorded::range).containsExactly("bytes=500-");
        assertThat(incomplete).doesNotExist();
    }

    @Test
    void corruptPartialFileIsCaughtByTheChecksumAndDownloadedAgain() throws IOException {
        writeStalePartial(500);

        Path file = client().build().file(REPO_ID, "main", BIG);

        assertThat(Files.readAllBytes(file)).isEqualTo(server.content(REPO_ID, COMMIT, BIG));
        assertThat(server.downloads()).extracting(FakeHubServer.Recorded::range).containsExactly("bytes=500-", null);
        assertThat(log).anyMatch(l -> l.startsWith("checksum mismatch after resuming " + BIG));
    }

    private Path writeStalePartial(int bytes) throws IOException {
        Path incomplete = repoDir().resolve("blobs").resolve(server.etag(REPO_ID, COMMIT, BIG) + ".incomplete");
        Files.createDirectories(incomplete.getParent());
        Files.write(incomplete, new byte[bytes]);
        return incomplete;
    }

    @Test
    void withoutSymlinksSnapshotEntriesAreCopies() throws IOException {
        Path blob = Files.writeString(cache.resolve("blob"), "content");
        Path pointer = cache.resolve("snapshots/abc/onnx/model.onnx");

        new HubCache(cache, false).link(blob, pointer);

        assertThat(Files.isSymbolicLink(pointer)).isFalse();
        assertThat(pointer).hasContent("content");
    }

    @Test
    void concurrentCallsDownloadABlobOnce() throws Exception {
        HubClient hub = client().build();
        var pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            List<java.util.concurrent.Future<Path>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                results.add(pool.submit(() -> hub.file(REPO_ID, "main", BIG)));
            }
            for (var r : results) {
                assertThat(Files.readAllBytes(r.get())).isEqualTo(server.content(REPO_ID, COMMIT, BIG));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(server.downloads()).hasSize(1);
    }

    @Test
    void offlineModeServesTheCacheWithoutAnyRequest() throws IOException {
        Path online = client().build().snapshot(REPO_ID, "main", f -> true);
        server.clearRequests();
        HubClient offline = client().offline(true).build();

        assertThat(offline.snapshot(REPO_ID, "main", f -> true)).isEqualTo(online);
        assertThat(offline.snapshot(REPO_ID, COMMIT, f -> true)).isEqualTo(online);
        assertThat(Files.readAllBytes(offline.file(REPO_ID, "main", BIG))).isEqualTo(server.content(REPO_ID, COMMIT, BIG));
        assertThat(offline.listing(REPO_ID, "main").files()).containsExactlyElementsOf(modelFiles());
        assertThatThrownBy(() -> offline.file(REPO_ID, "main", "tokenizer.json"))
                .hasMessageContaining("offline mode is on")
                .hasMessageContaining("file 'tokenizer.json'");
        assertThat(server.requestCount()).isZero();
    }

    @Test
    void offlineModeFailsClearlyWhenNotCached() {
        HubClient offline = client().offline(true).build();

        assertThatThrownBy(() -> offline.snapshot(REPO_ID, "main", f -> true))
                .isInstanceOfSatisfying(HubException.class,
                        e -> assertThat(e.reason()).isEqualTo(HubException.Reason.OFFLINE_NOT_CACHED))
                .hasMessageContaining("offline mode is on (HF_HUB_OFFLINE=1)")
                .hasMessageContaining("model 'Xenova/siglip-tiny' at revision 'main' is not in the cache " + repoDir());
        assertThat(server.requestCount()).isZero();
    }

    @Test
    void connectionRefusedIsANetworkError() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        HubClient hub = client().endpoint("http://127.0.0.1:" + port).build();

        assertThatThrownBy(() -> hub.snapshot(REPO_ID, "main", f -> true))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.reason()).isEqualTo(HubException.Reason.NETWORK))
                .hasMessageContaining("cannot connect to 127.0.0.1:" + port)
                .hasMessageContaining("repo 'Xenova/siglip-tiny', revision 'main'")
                .hasMessageContaining("HF_HUB_OFFLINE");
    }

    @Test
    void unreachableHubFallsBackToTheCache() throws IOException {
        Path online = client().build().snapshot(REPO_ID, "main", f -> true);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }

        Path cached = client().endpoint("http://127.0.0.1:" + port).build().snapshot(REPO_ID, "main", f -> true);

        assertThat(cached).isEqualTo(online);
        assertThat(log).anyMatch(l -> l.startsWith("warning: cannot connect") && l.contains("using the cached snapshot"));
    }

    @Test
    void slowServerTimesOut() {
        server.delayResponses(3_000);
        HubClient hub = client().readTimeout(Duration.ofMillis(300)).build();

        assertThatThrownBy(() -> hub.file(REPO_ID, "main", "config.json"))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.reason()).isEqualTo(HubException.Reason.TIMEOUT))
                .hasMessageContaining("no response within 300 ms")
                .hasMessageContaining("file 'config.json'");
    }

    @Test
    void stalledBodyTimesOut() {
        server.stallOnce(BIG, 10_000, 3_000);
        HubClient hub = client().readTimeout(Duration.ofMillis(300)).build();

        assertThatThrownBy(() -> hub.file(REPO_ID, "main", BIG))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.reason()).isEqualTo(HubException.Reason.TIMEOUT))
                .hasMessageContaining("no data for 300 ms while downloading")
                .hasMessageContaining("file '" + BIG + "'");
    }

    @Test
    void builderRejectsBadSettings() {
        assertThatThrownBy(() -> HubClient.builder().endpoint("ftp://x").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'ftp://x'");
        assertThatThrownBy(() -> HubClient.builder().readTimeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("readTimeout");
        assertThatThrownBy(() -> client().build().file("not a repo", "main", "config.json"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'not a repo'");
        assertThat(HubClient.builder().endpoint("https://hf-mirror.example/").build().endpoint())
                .isEqualTo("https://hf-mirror.example");
    }

    @Test
    void etagIsNormalised() {
        assertThat(HubHttp.normalizeEtag("W/\"abc\"")).isEqualTo("abc");
        assertThat(HubHttp.normalizeEtag("\"abc\"")).isEqualTo("abc");
        assertThat(HubHttp.normalizeEtag("abc")).isEqualTo("abc");
    }

    @Test
    void hostileFileNamesStayInsideTheSnapshot() {
        assertThatThrownBy(() -> new HubCache(cache).pointer(REPO_ID, COMMIT, "../../../../etc/passwd"))
                .isInstanceOf(HubException.class).hasMessageContaining("outside the snapshot folder");
        assertThatThrownBy(() -> client().build().file(REPO_ID, "main", "/etc/passwd"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'/etc/passwd'");
    }
}
