package dev.siglipstream.cli;

import dev.siglipstream.siglip.config.SiglipConfig;
import dev.siglipstream.siglip.text.SiglipTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code siglip tokenize}: token ids exactly as transformers' tokenizer gives them, padded to max length. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Tokenise texts; prints {\"input_ids\": [[...], ...]} (padded to the model's max length).")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "M", description = "Model folder or Hub repo id.")
    String model;

    @Option(names = "--revision", defaultValue = "main", description = "Hub revision for a repo id.")
    String revision;

    @Option(names = "--texts-json", required = true, paramLabel = "F", description = "JSON file with a list of strings.")
    Path textsJson;

    @Override
    public Integer call() throws Exception {
        List<String> texts = Json.readStrings(textsJson);
        Path folder = ModelLocation.resolve(model, revision, dev.siglipstream.siglip.onnx.ModelVariant.FP32);
        // a tokenizer-only folder has no config.json: SigLIP's text length default then applies
        int fallback = java.nio.file.Files.isRegularFile(folder.resolve("config.json"))
                ? SiglipConfig.load(folder.resolve("config.json")).textConfig().maxPositionEmbeddings()
                : dev.siglipstream.siglip.config.SiglipTextConfig.defaults().maxPositionEmbeddings();
        try (SiglipTokenizer tokenizer = SiglipTokenizer.load(folder, fallback)) {
            System.out.println(Json.write(Map.of("input_ids", tokenizer.encode(texts))));
        }
        return 0;
    }
}
