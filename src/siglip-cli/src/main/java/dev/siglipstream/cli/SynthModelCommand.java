package dev.siglipstream.cli;

import dev.siglipstream.tools.synth.SynthModel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code siglip synth-model}: writes a random-weight SigLIP model folder in the Hub layout.
 *
 * <pre>{@code
 * ./siglip synth-model --preset base-patch16-224 --out /tmp/siglip-base --seed 0
 * }</pre>
 */
@Command(
        name = "synth-model",
        mixinStandardHelpOptions = true,
        description = "Writes a random-weight SigLIP model folder (config, tokenizer, ONNX fp32/fp16/int8) "
                + "for benchmarks and tests; prints the folder.")
public final class SynthModelCommand implements Callable<Integer> {
    @Option(names = "--preset", required = true, paramLabel = "NAME",
            description = "base-patch16-224 (google/siglip-base-patch16-224's architecture) or tiny "
                    + "(the conformance tiny model's architecture).")
    String preset;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Folder to write (created if missing; files of the same names are replaced).")
    Path out;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S",
            description = "Random seed of the weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @picocli.CommandLine.Mixin Progress.Options progress;

    @Override
    public Integer call() {
        SynthModel.Preset p = SynthModel.Preset.parse(preset);
        long start = System.nanoTime();
        try (Progress.Bar bar = progress.progress().steps("synth-model " + p.id(), SynthModel.FILES)) {
            SynthModel.write(p, out, seed, bar::step);
        }
        System.err.printf("siglip synth-model: wrote %s (%s, seed %d) in %.1f s%n", out, p.id(), seed,
                (System.nanoTime() - start) / 1e9);
        System.out.println(out.toAbsolutePath());
        return 0;
    }
}
