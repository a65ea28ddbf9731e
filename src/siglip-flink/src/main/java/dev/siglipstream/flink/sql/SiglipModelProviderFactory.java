package dev.siglipstream.flink.sql;

import static dev.siglipstream.flink.sql.SiglipModelOptions.*;

import dev.siglipstream.siglip.onnx.ExecutionProvider;
import dev.siglipstream.siglip.onnx.ModelVariant;
import dev.siglipstream.siglip.pipeline.ZeroShotImageClassifier;
import dev.siglipstream.stream.fetch.FetchPolicy;
import dev.siglipstream.stream.model.ModelSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeFamily;

/**
 * SigLIP zero-shot image tagging as a Flink SQL model ({@code 'provider' = 'siglip'}), run in the task
 * managers with ONNX Runtime: images are batched through the per-JVM micro-batcher and scored on the
 * shared model session, the same ones the DataStream job uses.
 *
 * <pre>{@code
 * CREATE MODEL tagger
 * INPUT (image BYTES)
 * OUTPUT (labels ARRAY<STRING>, scores ARRAY<FLOAT>)
 * WITH ('provider' = 'siglip', 'model' = 'Xenova/siglip-base-patch16-224', 'labels' = 'cat,dog,car');
 *
 * SELECT id, labels, scores FROM ML_PREDICT(TABLE images, MODEL tagger, DESCRIPTOR(image));
 * }</pre>
 *
 * <p>The INPUT is one BYTES (or BINARY/VARBINARY) column, an encoded image (JPEG, PNG, WebP, ...), or one
 * STRING column of image URIs, fetched from the places {@code uri-allowlist} names. The
 * OUTPUT declares any of {@code labels ARRAY<STRING>}, {@code scores ARRAY<FLOAT>} (ranked best first, cut
 * by {@code top-k} and {@code threshold}), {@code embedding ARRAY<FLOAT>} and {@code error STRING}. An image
 * that cannot be scored (NULL, undecodable, too large) gives NULL outputs and, in {@code error}, the reason;
 * the query goes on. Options: {@link SiglipModelOptions}.
 */
@PublicEvolving
public final class SiglipModelProviderFactory implements ModelProviderFactory {
    public static final String IDENTIFIER = "siglip";

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of(MODEL, LABELS);
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return new HashSet<>(List.of(TEMPLATE, TOP_K, THRESHOLD, MAX_BATCH_SIZE, MAX_BATCH_DELAY, EXECUTION_PROVIDER,
                DEVICE_ID, ALLOW_CPU_FALLBACK, VARIANT, INTRA_OP_THREADS, PREPROCESS_THREADS, MAX_IMAGE_PIXELS,
                IMAGE_DECODE, URI_ALLOWLIST, FETCH_MAX_BYTES, FETCH_TIMEOUT, FETCH_ALLOW_PRIVATE_ADDRESSES, FETCH_THREADS));
    }

    @Override
    public ModelProvider createModelProvider(Context context) {
        FactoryUtil.ModelProviderFactoryHelper helper = FactoryUtil.createModelProviderFactoryHelper(this, context);
        helper.validate();
        String model = context.getObjectIdentifier().asSummaryString();
        return new SiglipModelProvider(settings(model, helper.getOptions(),
                context.getCatalogModel().getResolvedInputSchema(), context.getCatalogModel().getResolvedOutputSchema()));
    }

    /** Every option and both schemas checked together; the first problem is thrown, naming the model and the option. */
    static PredictSettings settings(String model, ReadableConfig o, ResolvedSchema input, ResolvedSchema output) {
        boolean uris = uriInput(model, input);
        List<OutputColumn> outputs = outputs(model, output);
        List<String> labels = labels(model, o.get(LABELS));
        String template = o.get(TEMPLATE);
        List<String> hypotheses = new ArrayList<>(labels.size());
        try {
            if (ZeroShotImageClassifier.hypothesis(template, "a").equals(ZeroShotImageClassifier.hypothesis(template, "b"))) {
                throw new IllegalArgumentException("it has no {} for the label, so every label would get the same score");
            }
            labels.forEach(l -> hypotheses.add(ZeroShotImageClassifier.hypothesis(template, l)));
        } catch (IllegalArgumentException e) {
            throw invalid(model, TEMPLATE, "'" + template + "': " + e.getMessage());
        }
        Integer topK = o.get(TOP_K);
        if (topK != null && topK < 1) {
            throw invalid(model, TOP_K, "must be at least 1, got " + topK);
        }
        Float threshold = o.get(THRESHOLD);
        if (threshold != null && !(threshold >= 0f && threshold <= 1f)) {
            throw invalid(model, THRESHOLD, "must be between 0 and 1 (a sigmoid score), got " + threshold);
        }
        int maxBatch = o.get(MAX_BATCH_SIZE);
        if (maxBatch < 1) {
            throw invalid(model, MAX_BATCH_SIZE, "must be at least 1, got " + maxBatch);
        }
        if (o.get(MAX_BATCH_DELAY).isNegative()) {
            throw invalid(model, MAX_BATCH_DELAY, "must not be negative, got " + o.get(MAX_BATCH_DELAY));
        }
        ExecutionProvider provider;
        try {
            provider = ExecutionProvider.parse(o.get(EXECUTION_PROVIDER));
        } catch (IllegalArgumentException e) {
            throw invalid(model, EXECUTION_PROVIDER, e.getMessage());
        }
        try {
            ModelVariant.parse(o.get(VARIANT));
        } catch (IllegalArgumentException e) {
            throw invalid(model, VARIANT, e.getMessage());
        }
        FetchPolicy fetch = uris ? fetchPolicy(model, o) : null;
        if (!uris && o.getOptional(URI_ALLOWLIST).isPresent()) {
            throw invalid(model, URI_ALLOWLIST, "is for a model whose INPUT is a STRING column of image URIs; this one's is "
                    + "image bytes");
        }
        if (o.get(FETCH_THREADS) < 1) {
            throw invalid(model, FETCH_THREADS, "must be at least 1, got " + o.get(FETCH_THREADS));
        }
        for (ConfigOption<Integer> nonNegative : List.of(INTRA_OP_THREADS, PREPROCESS_THREADS, DEVICE_ID)) {
            if (o.get(nonNegative) < 0) {
                throw invalid(model, nonNegative, "must not be negative, got " + o.get(nonNegative));
            }
        }
        if (o.get(MAX_IMAGE_PIXELS) < 1) {
            throw invalid(model, MAX_IMAGE_PIXELS, "must be at least 1, got " + o.get(MAX_IMAGE_PIXELS));
        }
        String location = o.get(MODEL).trim();
        if (location.isEmpty()) {
            throw invalid(model, MODEL, "is empty: give a model folder or a Hugging Face Hub repo id");
        }
        // One session per distinct spec in a task manager: equal settings share it with every other query and job.
        ModelSpec spec = new ModelSpec(location, provider.name().toLowerCase(java.util.Locale.ROOT),
                provider.isGpu() ? o.get(DEVICE_ID) : -1, o.get(VARIANT), o.get(INTRA_OP_THREADS), false, null,
                o.get(ALLOW_CPU_FALLBACK), maxBatch, o.get(MAX_BATCH_DELAY).toMillis(), false, 1, false,
                o.get(PREPROCESS_THREADS), null, o.get(FETCH_THREADS));
        return new PredictSettings(spec, o.get(MAX_IMAGE_PIXELS), o.get(IMAGE_DECODE), labels, hypotheses, topK,
                threshold, outputs, fetch);
    }

    /** Comma-separated labels, trimmed; none empty, none twice. */
    static List<String> labels(String model, String value) {
        Set<String> out = new LinkedHashSet<>();
        String[] parts = value.split(",", -1);
        for (int i = 0; i < parts.length; i++) {
            String label = parts[i].trim();
            if (label.isEmpty()) {
                throw invalid(model, LABELS, "label " + (i + 1) + " of " + parts.length + " is empty in '" + value
                        + "' (labels are comma-separated, e.g. 'cat,dog,remote control')");
            }
            if (!out.add(label)) {
                throw invalid(model, LABELS, "'" + label + "' is given twice in '" + value + "'");
            }
        }
        return List.copyOf(out);
    }

    /** True for one STRING column of image URIs, false for one BYTES column of encoded images. */
    private static boolean uriInput(String model, ResolvedSchema input) {
        List<Column> columns = input.getColumns();
        LogicalType type = columns.size() == 1 ? columns.get(0).getDataType().getLogicalType() : null;
        if (type == null || !(type.is(LogicalTypeFamily.BINARY_STRING) || type.is(LogicalTypeFamily.CHARACTER_STRING))) {
            throw new ValidationException("SigLIP model " + model + ": INPUT must be one column, either encoded image bytes "
                    + "(INPUT (image BYTES)) or image URIs to fetch (INPUT (uri STRING)), got INPUT (" + describe(columns) + ")");
        }
        return type.is(LogicalTypeFamily.CHARACTER_STRING);
    }

    private static FetchPolicy fetchPolicy(String model, ReadableConfig o) {
        List<String> allow = o.getOptional(URI_ALLOWLIST).stream()
                .flatMap(v -> Arrays.stream(v.split(","))).map(String::trim).filter(e -> !e.isEmpty()).toList();
        if (allow.isEmpty()) {
            throw invalid(model, URI_ALLOWLIST, "is required when the INPUT is a STRING column of image URIs: name where "
                    + "images may be fetched from, e.g. 'https://images.example.com,file:///data/images'");
        }
        try {
            return FetchPolicy.builder().allow(allow).maxBytes(o.get(FETCH_MAX_BYTES)).totalTimeout(o.get(FETCH_TIMEOUT))
                    .allowPrivateAddresses(o.get(FETCH_ALLOW_PRIVATE_ADDRESSES)).build();
        } catch (IllegalArgumentException e) {
            throw new ValidationException("SigLIP model " + model + ": the fetch options (" + URI_ALLOWLIST.key() + ", "
                    + FETCH_MAX_BYTES.key() + ", " + FETCH_TIMEOUT.key() + "): " + e.getMessage(), e);
        }
    }

    private static List<OutputColumn> outputs(String model, ResolvedSchema output) {
        List<OutputColumn> out = new ArrayList<>();
        for (Column c : output.getColumns()) {
            OutputColumn known = OutputColumn.named(c.getName());
            LogicalType type = c.getDataType().getLogicalType();
            if (known == null || !known.accepts(type) || out.contains(known)) {
                throw new ValidationException("SigLIP model " + model + ": OUTPUT column " + c.getName() + " "
                        + type.asSummaryString() + (out.contains(known) ? " is declared twice" : " is not one it gives")
                        + "; it gives " + OutputColumn.describeAll() + " (any of them, in any order)");
            }
            out.add(known);
        }
        if (out.equals(List.of(OutputColumn.ERROR))) {
            throw new ValidationException("SigLIP model " + model + ": OUTPUT has only the error column; declare labels "
                    + "ARRAY<STRING>, scores ARRAY<FLOAT> or embedding ARRAY<FLOAT> too");
        }
        return List.copyOf(out);
    }

    private static String describe(List<Column> columns) {
        return String.join(", ", columns.stream().map(c -> c.getName() + " " + c.getDataType().getLogicalType().asSummaryString()).toList());
    }

    private static ValidationException invalid(String model, ConfigOption<?> option, String problem) {
        return new ValidationException("SigLIP model " + model + ": option '" + option.key() + "' " + problem);
    }
}
