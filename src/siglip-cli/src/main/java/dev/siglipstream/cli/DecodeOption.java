package dev.siglipstream.cli;

import dev.siglipstream.siglip.image.DecodeMode;
import picocli.CommandLine.Option;

/** {@code --decode exact|fast} of the commands that preprocess images. */
final class DecodeOption {
    @Option(names = "--decode", defaultValue = "exact", paramLabel = "exact|fast",
            description = {"exact: full-size decode, pixels identical to transformers + Pillow. fast: a baseline JPEG of "
                    + "at least 8x the model's size (e.g. a 12 MP photo for a 224 model) is decoded at 1/4 or 1/8 scale "
                    + "in the DCT domain (never below twice the model's size, Pillow's draft() rule), then resized the "
                    + "same way: about half the CPU, pixels within a few levels of exact. Default: ${DEFAULT-VALUE}."})
    String decode;

    DecodeMode mode() {
        return DecodeMode.parse(decode);
    }
}
