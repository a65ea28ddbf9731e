package dev.siglipstream.flink.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.siglipstream.siglip.onnx.OnnxOptions;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.siglip.pipeline.ZeroShotImageClassifier;
import dev.siglipstream.siglip.scoring.LabelScore;
import dev.siglipstream.stream.model.SharedModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SigLIP in Flink SQL on a MiniCluster: the README's query over the conformance images, with the tiny
 * conformance model, gives the library's own zero-shot pipeline's labels and scores.
 */
class SiglipSqlITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /** One image batched with others vs the library's batch of one: ONNX Runtime's sums differ in the last bits. */
    static final double TOLERANCE = 1e-5;

    @Test
    void theReadmeQueryGivesTheLibrarysLabelsAndScores() throws Exception {
        String script = ExampleSql.text();
        assertThat(ExampleSql.sqlBlocks(ExampleSql.readme())).as("README.md shows %s as it is", ExampleSql.FILE)
                .contains(script);
        List<String> statements = ExampleSql.statements(script);
        assertThat(statements).hasSize(2);
        String createModel = statements.get(0);
        List<String> labels = SiglipModelProviderFactory.labels("example", ExampleSql.option(createModel, "labels"));
        String template = ExampleSql.option(createModel, "template");
        Integer topK = Integer.valueOf(ExampleSql.option(createModel, "top-k"));

        Map<String, byte[]> images = new LinkedHashMap<>();
        for (String id : ConformanceFiles.imageIds()) {
            images.put(id, Files.readAllBytes(ConformanceFiles.image(id)));
        }
        int sessionsBefore = SharedModels.openSessions();
        StreamTableEnvironment tEnv = tableEnvironment(images);
        tEnv.executeSql(ExampleSql.withOption(createModel, "model", ConformanceFiles.tinyModel().toString()));
        Map<String, Row> rows = collect(tEnv.executeSql(statements.get(1)), 0);

        assertThat(rows.keySet()).containsExactlyInAnyOrderElementsOf(images.keySet());
        double maxDiff = 0;
        try (SiglipModel model = SiglipModel.load(ConformanceFiles.tinyModel(), OnnxOptions.defaults())) {
            ZeroShotImageClassifier library = new ZeroShotImageClassifier(model);
            for (Map.Entry<String, byte[]> image : images.entrySet()) {
                maxDiff = Math.max(maxDiff, assertLibraryScores(library, image.getKey(), image.getValue(), labels, template, topK,
                        rows.get(image.getKey()), 1, 2));
            }
        }
        System.out.printf("SQL vs library: %d images, top %d of %d labels, max|diff| = %.2e%n", images.size(), topK,
                labels.size(), maxDiff);
        for (long end = System.nanoTime() + 10_000_000_000L; SharedModels.openSessions() > sessionsBefore && System.nanoTime() < end; ) {
            Thread.sleep(50);
        }
        assertThat(SharedModels.openSessions()).as("the query's session is closed with it").isEqualTo(sessionsBefore);
    }

    @Test
    void imagesThatCannotBeScoredGiveNullOutputsAndTheReasonInBothRuntimes() throws Exception {
        Map<String, byte[]> images = new LinkedHashMap<>();
        images.put("photo", Files.readAllBytes(ConformanceFiles.image("photo_q90_420")));
        images.put("text", "not an image".getBytes(StandardCharsets.UTF_8));
        images.put("none", null);
        StreamTableEnvironment tEnv = tableEnvironment(images);
        tEnv.executeSql("CREATE MODEL tagger INPUT (image BYTES) "
                + "OUTPUT (error STRING, labels ARRAY<STRING>, scores ARRAY<FLOAT>, embedding ARRAY<FLOAT>) "
                + "WITH ('provider' = 'siglip', 'model' = '" + ConformanceFiles.tinyModel() + "', 'labels' = 'cat,dog,car', "
                + "'threshold' = '0')");
        for (String runtime : List.of("true", "false")) {
            Map<String, Row> rows = collect(tEnv.executeSql("SELECT id, error, labels, scores, embedding "
                    + "FROM ML_PREDICT(TABLE images, MODEL tagger, DESCRIPTOR(image), MAP['async', '" + runtime + "'])"), 0);
            assertThat(rows).as("async = %s", runtime).containsOnlyKeys("photo", "text", "none");
            Row photo = rows.get("photo");
            assertThat(photo.getField(1)).isNull();
            assertThat((String[]) photo.getField(2)).containsExactlyInAnyOrder("cat", "dog", "car");
            assertThat((Float[]) photo.getField(3)).hasSize(3);
            Float[] embedding = (Float[]) photo.getField(4);
            assertThat(embedding).hasSize(64);
            assertThat(Arrays.stream(embedding).mapToDouble(f -> f * f).sum()).as("L2-normalised").isCloseTo(1.0, within(1e-4));
            Row text = rows.get("text");
            assertThat((String) text.getField(1)).as("async = %s", runtime).isNotBlank();
            assertThat(text.getField(2)).isNull();
            assertThat(text.getField(3)).isNull();
            assertThat(text.getField(4)).isNull();
            assertThat(rows.get("none").getField(1)).isEqualTo("the image is NULL");
            assertThat(rows.get("none").getField(2)).isNull();
        }
    }

    @Test
    void aModelFolderThatIsNotThereFailsTheQueryNamingIt() throws Exception {
        StreamTableEnvironment tEnv = tableEnvironment(Map.of("photo", Files.readAllBytes(ConformanceFiles.image("photo_q90_420"))));
        tEnv.executeSql("CREATE MODEL tagger INPUT (image BYTES) OUTPUT (labels ARRAY<STRING>) "
                + "WITH ('provider' = 'siglip', 'model' = '/no/such/model', 'labels' = 'cat,dog')");
        int sessionsBefore = SharedModels.openSessions();
        TableResult result = tEnv.executeSql("SELECT id, labels FROM ML_PREDICT(TABLE images, MODEL tagger, DESCRIPTOR(image))");
        Throwable failure = null;
        try {
            collect(result, 0);
        } catch (Exception e) {
            failure = e;
        }
        assertThat(failure).as("the query fails").isNotNull();
        List<String> messages = new ArrayList<>();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.add(String.valueOf(t.getMessage()));
        }
        assertThat(String.join("\n", messages)).contains("model folder not found: /no/such/model");
        assertThat(SharedModels.openSessions()).as("no session is left behind").isEqualTo(sessionsBefore);
    }

    @Test
    void imageUrisAreFetchedFromTheAllowlistAndScoredAsTheLibraryScoresTheirFiles() throws Exception {
        Path dir = ConformanceFiles.image("photo_q90_420").getParent();
        Map<String, String> uris = new LinkedHashMap<>();
        for (String id : List.of("photo_q90_420", "progressive", "palette")) {
            uris.put(id, ConformanceFiles.image(id).toUri().toString());
        }
        uris.put("outside", ConformanceFiles.root().resolve("cases.json").toUri().toString());
        uris.put("missing", dir.resolve("no-such-image.jpg").toUri().toString());
        StreamTableEnvironment tEnv = tableEnvironment("uri", Types.STRING, uris);
        tEnv.executeSql("CREATE MODEL tagger INPUT (uri STRING) OUTPUT (labels ARRAY<STRING>, scores ARRAY<FLOAT>, error STRING) "
                + "WITH ('provider' = 'siglip', 'model' = '" + ConformanceFiles.tinyModel() + "', 'labels' = 'cat,dog,car', "
                + "'uri-allowlist' = '" + dir.toUri() + "')");
        Map<String, Row> rows = collect(tEnv.executeSql("SELECT id, labels, scores, error "
                + "FROM ML_PREDICT(TABLE images, MODEL tagger, DESCRIPTOR(uri))"), 0);
        assertThat(rows).containsOnlyKeys(uris.keySet());
        assertThat((String) rows.get("outside").getField(3)).startsWith("URI_NOT_ALLOWED");
        assertThat(rows.get("outside").getField(1)).isNull();
        assertThat((String) rows.get("missing").getField(3)).startsWith("FETCH_FAILED");
        try (SiglipModel model = SiglipModel.load(ConformanceFiles.tinyModel(), OnnxOptions.defaults())) {
            ZeroShotImageClassifier library = new ZeroShotImageClassifier(model);
            for (String id : List.of("photo_q90_420", "progressive", "palette")) {
                assertThat(rows.get(id).getField(3)).as("error of %s", id).isNull();
                assertLibraryScores(library, id, Files.readAllBytes(ConformanceFiles.image(id)), List.of("cat", "dog", "car"),
                        ZeroShotImageClassifier.DEFAULT_TEMPLATE, null, rows.get(id), 1, 2);
            }
        }
    }

    /**
     * Checks a row's ranked labels and scores against the library's pipeline for the same image: rank by rank
     * the same scores, and each label its own score, so labels whose scores tie within the tolerance may swap
     * places and nothing else may differ. Returns the largest difference.
     */
    private static double assertLibraryScores(ZeroShotImageClassifier library, String id, byte[] image, List<String> labels,
            String template, Integer topK, Row row, int labelsField, int scoresField) throws Exception {
        List<LabelScore> expected = library.classify(List.of(image), labels, new ZeroShotImageClassifier.Options(template, topK, null)).get(0);
        Map<String, Float> everyLabel = new HashMap<>();
        library.classify(List.of(image), labels, new ZeroShotImageClassifier.Options(template, null, null))
                .get(0).forEach(s -> everyLabel.put(s.label(), s.score()));
        String[] actualLabels = (String[]) row.getField(labelsField);
        Float[] actualScores = (Float[]) row.getField(scoresField);
        assertThat(actualLabels).as("labels of %s", id).hasSize(expected.size()).doesNotHaveDuplicates();
        assertThat(actualScores).as("scores of %s", id).hasSize(expected.size());
        double maxDiff = 0;
        for (int i = 0; i < expected.size(); i++) {
            assertThat((double) actualScores[i]).as("score ranked %d for %s", i, id)
                    .isCloseTo(expected.get(i).score(), within(TOLERANCE));
            assertThat(everyLabel).as("labels of %s", id).containsKey(actualLabels[i]);
            assertThat((double) actualScores[i]).as("score of %s for %s", actualLabels[i], id)
                    .isCloseTo(everyLabel.get(actualLabels[i]), within(TOLERANCE));
            maxDiff = Math.max(maxDiff, Math.abs(actualScores[i] - expected.get(i).score()));
        }
        return maxDiff;
    }

    /** A table environment on the MiniCluster with a table {@code images (id STRING, image BYTES)}. */
    private static StreamTableEnvironment tableEnvironment(Map<String, byte[]> images) {
        return tableEnvironment("image", Types.PRIMITIVE_ARRAY(Types.BYTE), images);
    }

    /** A table environment on the MiniCluster with a table {@code images (id STRING, <column> <type>)}. */
    private static StreamTableEnvironment tableEnvironment(String column, TypeInformation<?> type, Map<String, ?> values) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
        List<Row> rows = new ArrayList<>();
        values.forEach((id, value) -> rows.add(Row.of(id, value)));
        tEnv.createTemporaryView("images", tEnv.fromDataStream(env.fromData(rows)
                .returns(Types.ROW_NAMED(new String[] {"id", column}, Types.STRING, type))));
        return tEnv;
    }

    /** Every row of a finished query, by the string in column {@code keyField}. */
    private static Map<String, Row> collect(TableResult result, int keyField) throws Exception {
        Map<String, Row> rows = new HashMap<>();
        try (CloseableIterator<Row> it = result.collect()) {
            it.forEachRemaining(r -> assertThat(rows.put((String) r.getField(keyField), r)).as("one row per image").isNull());
        }
        return rows;
    }
}
