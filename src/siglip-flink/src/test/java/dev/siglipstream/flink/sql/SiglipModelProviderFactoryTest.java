package dev.siglipstream.flink.sql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.siglip.image.DecodeMode;
import dev.siglipstream.stream.model.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.internal.TableEnvironmentImpl;
import org.apache.flink.table.catalog.CatalogModel;
import org.apache.flink.table.catalog.ObjectIdentifier;
import org.apache.flink.table.catalog.ObjectPath;
import org.apache.flink.table.catalog.ResolvedCatalogModel;
import org.apache.flink.table.catalog.SchemaResolver;
import org.apache.flink.table.catalog.exceptions.ModelNotExistException;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The options and schemas of a SigLIP model, as the planner checks them when a query uses it: what is
 * accepted becomes the right settings, and every mistake is reported naming the model and what is wrong.
 */
class SiglipModelProviderFactoryTest {
    private static final String TINY = ConformanceFiles.tinyModel().toString();
    private static final AtomicInteger MODELS = new AtomicInteger();
    private static TableEnvironment tEnv;

    @BeforeAll
    static void planner() {
        tEnv = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        tEnv.createTemporaryView("images", tEnv.fromValues(DataTypes.ROW(DataTypes.FIELD("id", DataTypes.STRING()),
                DataTypes.FIELD("image", DataTypes.BYTES()), DataTypes.FIELD("uri", DataTypes.STRING())),
                Row.of("a", new byte[] {1, 2, 3}, "file:///a.jpg")));
    }

    @Test
    void theProviderIsFoundByItsIdentifier() {
        ModelProviderFactory found = FactoryUtil.discoverFactory(getClass().getClassLoader(), ModelProviderFactory.class, "siglip");
        assertThat(found).isInstanceOf(SiglipModelProviderFactory.class);
    }

    @Test
    void acceptedOptionsBecomeTheSessionsSpecAndTheScoringSettings() {
        SiglipModelProvider provider = provider("INPUT (image BYTES) OUTPUT (scores ARRAY<FLOAT>, labels ARRAY<STRING>, error STRING)",
                "'labels' = ' cat , remote control,dog', 'template' = 'a {} here', 'top-k' = '2', 'threshold' = '0.25', "
                        + "'max-batch-size' = '8', 'max-batch-delay' = '40 ms', 'intra-op-threads' = '2', "
                        + "'preprocess-threads' = '3', 'max-image-pixels' = '1000', 'image-decode' = 'fast'");
        PredictSettings s = provider.settings();
        assertThat(s.labels()).containsExactly("cat", "remote control", "dog");
        assertThat(s.hypotheses()).containsExactly("a cat here", "a remote control here", "a dog here");
        assertThat(s.topK()).isEqualTo(2);
        assertThat(s.threshold()).isEqualTo(0.25f);
        assertThat(s.outputs()).containsExactly(OutputColumn.SCORES, OutputColumn.LABELS, OutputColumn.ERROR);
        assertThat(s.maxImagePixels()).isEqualTo(1000L);
        assertThat(s.decodeMode()).isEqualTo(DecodeMode.FAST);
        ModelSpec spec = s.spec();
        assertThat(spec.model()).isEqualTo(TINY);
        assertThat(spec.provider()).isEqualTo("cpu");
        assertThat(spec.deviceId()).isEqualTo(-1);
        assertThat(spec.maxBatchSize()).isEqualTo(8);
        assertThat(spec.maxBatchDelayMs()).isEqualTo(40L);
        assertThat(spec.intraOpThreads()).isEqualTo(2);
        assertThat(spec.preprocessThreads()).isEqualTo(3);
    }

    @Test
    void defaultsAreTransformersTemplateAllLabelsAndTheCpu() {
        PredictSettings s = provider("INPUT (image BYTES) OUTPUT (labels ARRAY<STRING>)", "'labels' = 'cat'").settings();
        assertThat(s.hypotheses()).containsExactly("This is a photo of cat.");
        assertThat(s.topK()).isNull();
        assertThat(s.threshold()).isNull();
        assertThat(s.spec().maxBatchSize()).isEqualTo(32);
        assertThat(s.spec().maxBatchDelayMs()).isEqualTo(10L);
        assertThat(s.spec().provider()).isEqualTo("cpu");
        assertThat(s.decodeMode()).isEqualTo(DecodeMode.EXACT);
    }

    @Test
    void aMissingModelOrLabelsOptionIsNamed() {
        assertThat(error("INPUT (image BYTES) OUTPUT (labels ARRAY<STRING>)", "'provider' = 'siglip', 'labels' = 'cat'"))
                .containsPattern("Missing required options are:\\s+model\\s*$");
        assertThat(error("INPUT (image BYTES) OUTPUT (labels ARRAY<STRING>)", "'provider' = 'siglip', 'model' = '" + TINY + "'"))
                .containsPattern("Missing required options are:\\s+labels\\s*$");
    }

    @Test
    void badLabelsAreReportedWithTheLabelAtFault() {
        assertThat(errorWith("'labels' = 'cat,,dog'"))
                .contains("option 'labels' label 2 of 3 is empty in 'cat,,dog'");
        assertThat(errorWith("'labels' = ''")).contains("option 'labels' label 1 of 1 is empty");
        assertThat(errorWith("'labels' = 'cat,dog,cat'")).contains("option 'labels' 'cat' is given twice");
    }

    @Test
    void badValuesNameTheOptionAndTheValue() {
        assertThat(errorWith("'labels' = 'cat', 'template' = 'a photo'")).contains("option 'template' 'a photo'")
                .contains("has no {}");
        assertThat(errorWith("'labels' = 'cat', 'template' = '{} and {}'")).contains("option 'template'")
                .contains("more than one {}");
        assertThat(errorWith("'labels' = 'cat', 'top-k' = '0'")).contains("option 'top-k' must be at least 1, got 0");
        assertThat(errorWith("'labels' = 'cat', 'threshold' = '1.5'")).contains("option 'threshold' must be between 0 and 1");
        assertThat(errorWith("'labels' = 'cat', 'max-batch-size' = '0'")).contains("option 'max-batch-size' must be at least 1");
        assertThat(errorWith("'labels' = 'cat', 'execution-provider' = 'gpu'"))
                .contains("option 'execution-provider' unknown execution provider 'gpu', expected cpu, cuda or tensorrt");
        assertThat(errorWith("'labels' = 'cat', 'variant' = 'int4'")).contains("option 'variant' unknown model variant 'int4'");
        assertThat(errorWith("'labels' = 'cat', 'top-k' = 'three'")).contains("top-k").contains("three");
    }

    @Test
    void aUriInputIsFetchedFromTheAllowlistOnly() {
        PredictSettings s = provider("INPUT (uri STRING) OUTPUT (labels ARRAY<STRING>)",
                "'labels' = 'cat', 'uri-allowlist' = 'https://images.example.com, file:///data/images', "
                        + "'fetch-max-bytes' = '1000', 'fetch-timeout' = '2 s', 'fetch-threads' = '3'").settings();
        assertThat(s.fetchPolicy().allowlist()).containsExactly("https://images.example.com", "file:///data/images");
        assertThat(s.fetchPolicy().maxBytes()).isEqualTo(1000L);
        assertThat(s.fetchPolicy().totalTimeout()).hasSeconds(2);
        assertThat(s.fetchPolicy().allowPrivateAddresses()).isFalse();
        assertThat(s.spec().fetchThreads()).isEqualTo(3);
        assertThat(provider("INPUT (image BYTES) OUTPUT (labels ARRAY<STRING>)", "'labels' = 'cat'").settings().fetchPolicy())
                .as("image bytes are not fetched").isNull();

        assertThat(error("INPUT (uri STRING) OUTPUT (labels ARRAY<STRING>)", options("'labels' = 'cat'"), "uri"))
                .contains("option 'uri-allowlist' is required when the INPUT is a STRING column of image URIs");
        assertThat(error("INPUT (uri STRING) OUTPUT (labels ARRAY<STRING>)",
                options("'labels' = 'cat', 'uri-allowlist' = 'ftp://host'"), "uri"))
                .contains("the fetch options (uri-allowlist, fetch-max-bytes, fetch-timeout)").contains("ftp://host");
        assertThat(errorWith("'labels' = 'cat', 'uri-allowlist' = 'https://images.example.com'"))
                .contains("option 'uri-allowlist' is for a model whose INPUT is a STRING column of image URIs");
    }

    @Test
    void anUnknownOptionIsRefusedWithTheKnownOnes() {
        assertThat(errorWith("'labels' = 'cat', 'lables' = 'dog'")).contains("Unsupported options").contains("lables")
                .contains("labels");
    }

    @Test
    void schemasItCannotFillAreRefusedWithWhatItTakes() {
        assertThat(error("INPUT (image BYTES, uri STRING) OUTPUT (labels ARRAY<STRING>)", options("'labels' = 'cat'"), "image, uri"))
                .contains("INPUT must be one column, either encoded image bytes (INPUT (image BYTES)) or image URIs to "
                        + "fetch (INPUT (uri STRING)), got INPUT (image BYTES, uri STRING)");
        assertThat(error("INPUT (image BYTES) OUTPUT (labels ARRAY<INT>)", options("'labels' = 'cat'"), "image"))
                .contains("OUTPUT column labels ARRAY<INT> is not one it gives")
                .contains("labels ARRAY<STRING>, scores ARRAY<FLOAT>, embedding ARRAY<FLOAT>, error STRING");
        assertThat(error("INPUT (image BYTES) OUTPUT (tags ARRAY<STRING>)", options("'labels' = 'cat'"), "image"))
                .contains("OUTPUT column tags ARRAY<STRING> is not one it gives");
        assertThat(error("INPUT (image BYTES) OUTPUT (error STRING)", options("'labels' = 'cat'"), "image"))
                .contains("OUTPUT has only the error column");
    }

    private static String options(String extra) {
        return "'provider' = 'siglip', 'model' = '" + TINY + "', " + extra;
    }

    private static String errorWith(String extra) {
        return error("INPUT (image BYTES) OUTPUT (labels ARRAY<STRING>, scores ARRAY<FLOAT>)", options(extra));
    }

    private static String error(String schema, String with) {
        return error(schema, with, "image");
    }

    /** Every message of what the planner throws when a query uses the model; fails when it throws nothing. */
    private static String error(String schema, String with, String column) {
        String name = create(schema, with);
        try {
            tEnv.explainSql("SELECT * FROM ML_PREDICT(TABLE images, MODEL " + name + ", DESCRIPTOR(" + column + "))");
        } catch (RuntimeException e) {
            List<String> messages = new ArrayList<>();
            for (Throwable t = e; t != null; t = t.getCause()) {
                messages.add(t.getMessage());
            }
            return String.join("\n", messages);
        }
        throw new AssertionError("the planner accepted model " + name + " " + schema + " WITH (" + with + ")");
    }

    /** The provider a model's options and schemas give, through the factory as the planner calls it. */
    private static SiglipModelProvider provider(String schema, String extra) {
        String name = create(schema, options(extra));
        try {
            CatalogModel model = tEnv.getCatalog(tEnv.getCurrentCatalog()).orElseThrow()
                    .getModel(new ObjectPath(tEnv.getCurrentDatabase(), name));
            SchemaResolver resolver = ((TableEnvironmentImpl) tEnv).getCatalogManager().getSchemaResolver();
            ResolvedCatalogModel resolved = ResolvedCatalogModel.of(model, model.getInputSchema().resolve(resolver),
                    model.getOutputSchema().resolve(resolver));
            return (SiglipModelProvider) FactoryUtil.createModelProvider(new SiglipModelProviderFactory(),
                    ObjectIdentifier.of(tEnv.getCurrentCatalog(), tEnv.getCurrentDatabase(), name), resolved,
                    new Configuration(), SiglipModelProviderFactoryTest.class.getClassLoader(), false);
        } catch (ModelNotExistException e) {
            throw new AssertionError(e);
        }
    }

    private static String create(String schema, String with) {
        String name = "m" + MODELS.incrementAndGet();
        tEnv.executeSql("CREATE MODEL " + name + " " + schema + " WITH (" + with + ")");
        return name;
    }
}
