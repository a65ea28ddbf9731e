package dev.siglipstream.cli;

import dev.siglipstream.siglip.hub.HubClient;
import dev.siglipstream.siglip.onnx.ModelVariant;
import dev.siglipstream.siglip.hub.ModelResolver;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code siglip download REPO_ID}: fetches a SigLIP model into the Hugging Face cache and prints
 * only its local folder, so scripts can write {@code MODEL=$(siglip download Xenova/siglip-base-patch16-224)}.
 */
@Command(
        name = "download",
        mixinStandardHelpOptions = true,
        description = {
            "Download a SigLIP model from the Hugging Face Hub into the local cache (as huggingface_hub does) "
                    + "and print its folder.",
            "Honours HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_TOKEN and HF_HUB_OFFLINE."
        })
public class DownloadCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REPO_ID", description = "Hub repository, e.g. Xenova/siglip-base-patch16-224.")
    String repoId;

    @Option(names = "--revision", paramLabel = "R", defaultValue = HubClient.DEFAULT_REVISION,
            description = "Branch, tag or commit sha (default: ${DEFAULT-VALUE}).")
    String revision;

    @Option(names = "--variant", paramLabel = "V", defaultValue = "fp32",
            description = "ONNX variant: fp32, fp16 or quantized (default: ${DEFAULT-VALUE}).")
    String variant;

    @Option(names = "--all", description = "Download every file of the repository instead of one variant.")
    boolean all;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Hub cache folder (default: HF_HUB_CACHE, else $HF_HOME/hub).")
    Path cacheDir;

    @Option(names = "--endpoint", paramLabel = "URL", description = "Hub URL (default: HF_ENDPOINT, else https://huggingface.co).")
    String endpoint;

    @Option(names = "--offline", description = "Use only the local cache, as HF_HUB_OFFLINE=1 does.")
    boolean offline;

    @CommandLine.Mixin Progress.Options progress;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        HubClient.Builder builder = HubClient.builderFromEnvironment().logger(line -> {
            err.println(line);
            err.flush();
        });
        if (cacheDir != null) {
            builder.cacheDir(cacheDir);
        }
        if (endpoint != null) {
            builder.endpoint(endpoint);
        }
        if (offline) {
            builder.offline(true);
        }
        HubClient hub = builder.progress(progress.progress().downloads()).build();
        Path folder = all
                ? hub.snapshot(repoId, revision, f -> true)
                : new ModelResolver(hub).resolve(repoId, revision, ModelVariant.parse(variant).onnxFiles());
        PrintWriter out = spec.commandLine().getOut();
        out.println(folder.toAbsolutePath());
        out.flush();
        return 0;
    }
}
