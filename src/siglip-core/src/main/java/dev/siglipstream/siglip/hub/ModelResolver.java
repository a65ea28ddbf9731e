package dev.siglipstream.siglip.hub;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Turns a model argument into a local model folder: an existing folder as it is, a Hub repository
 * id ({@code org/name}) by downloading the configuration, tokenizer and chosen ONNX files.
 *
 * <pre>{@code
 * Path model = new ModelResolver(HubClient.fromEnvironment())
 *         .resolve("Xenova/siglip-base-patch16-224", "main", List.of("onnx/vision_model.onnx", "onnx/text_model.onnx"));
 * }</pre>
 */
public final class ModelResolver {
    /** The non-ONNX files a SigLIP model folder needs (those the repository has). */
    public static final List<String> SUPPORT_FILES = List.of(
            "config.json",
            "preprocessor_config.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "spiece.model",
            "tokenizer.json");

    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+");

    private final HubClient hub;

    public ModelResolver(HubClient hub) {
        this.hub = Objects.requireNonNull(hub, "hub");
    }

    /** True for {@code org/name} strings that are not an existing path (so a folder {@code a/b} wins). */
    public static boolean looksLikeRepoId(String s) {
        if (s == null || !REPO_ID.matcher(s).matches() || s.contains("--") || s.contains("..")) {
            return false;
        }
        try {
            return !Files.exists(Path.of(s));
        } catch (InvalidPathException e) {
            return false;
        }
    }

    /**
     * The model folder for {@code folderOrRepoId}. For a repository id, downloads
     * {@link #SUPPORT_FILES} and those of {@code onnxFiles} the repository has at {@code revision},
     * failing (before any download) when it has none of them.
     *
     * @param revision branch, tag or commit sha; null for {@code main}. Ignored for a folder.
     * @param onnxFiles repository-relative ONNX paths such as {@code onnx/vision_model.onnx}
     */
    public Path resolve(String folderOrRepoId, String revision, Collection<String> onnxFiles) {
        Objects.requireNonNull(folderOrRepoId, "folderOrRepoId");
        Objects.requireNonNull(onnxFiles, "onnxFiles");
        Path asPath = toPath(folderOrRepoId);
        if (asPath != null && Files.isDirectory(asPath)) {
            return asPath;
        }
        if (asPath != null && Files.exists(asPath)) {
            throw new IllegalArgumentException("model '" + folderOrRepoId + "' is a file; expected a model folder or a Hub repo id 'org/name'");
        }
        if (!looksLikeRepoId(folderOrRepoId)) {
            throw new IllegalArgumentException("model '" + folderOrRepoId + "' is neither an existing folder nor a Hub repo id 'org/name'");
        }
        RepoListing listing = hub.listing(folderOrRepoId, revision);
        Set<String> available = new LinkedHashSet<>(listing.files());
        Set<String> wantedOnnx = onnxFiles.stream().filter(available::contains).collect(Collectors.toCollection(LinkedHashSet::new));
        if (wantedOnnx.isEmpty()) {
            List<String> repoOnnx = listing.files().stream().filter(f -> f.endsWith(".onnx")).sorted().toList();
            if (repoOnnx.isEmpty()) {
                throw new HubException(HubException.Reason.FILE_NOT_FOUND, noOnnxExport(listing));
            }
            throw new HubException(HubException.Reason.FILE_NOT_FOUND, "repository '" + listing.repoId() + "' at revision '"
                    + listing.revision() + "' (commit " + listing.commitSha() + ") has none of the ONNX files " + List.copyOf(onnxFiles)
                    + (hub.offline() ? " in the offline cache" : "") + "; it has " + (repoOnnx.isEmpty() ? "no .onnx files" : repoOnnx));
        }
        return hub.snapshot(listing, f -> SUPPORT_FILES.contains(f) || wantedOnnx.contains(f));
    }

    /** What to do about a repository with weights for PyTorch (or nothing) but no ONNX export. */
    static String noOnnxExport(RepoListing listing) {
        List<String> weights = listing.files().stream()
                .filter(f -> f.endsWith(".safetensors") || f.endsWith(".bin") || f.endsWith(".pt") || f.endsWith(".h5") || f.endsWith(".msgpack"))
                .sorted().toList();
        String name = listing.repoId().substring(listing.repoId().indexOf('/') + 1);
        return "repository '" + listing.repoId() + "' at revision '" + listing.revision() + "' has no ONNX export"
                + (weights.isEmpty() ? "" : " (only " + String.join(", ", weights) + ": weights for PyTorch/transformers, which ONNX Runtime cannot run)")
                + ". This project runs ONNX exports in the Hub layout (onnx/vision_model.onnx and onnx/text_model.onnx, or onnx/model.onnx). "
                + "Use a ready export: the released SigLIP checkpoints have one under Xenova/, e.g. Xenova/siglip-base-patch16-224, "
                + "Xenova/siglip-base-patch16-256, Xenova/siglip-large-patch16-256 (try Xenova/" + name + "). "
                + "Or export this one yourself with Hugging Face optimum: "
                + "optimum-cli export onnx --model " + listing.repoId() + " --task zero-shot-image-classification " + name + "-onnx/ "
                + "&& mkdir " + name + "-onnx/onnx && mv " + name + "-onnx/model.onnx " + name + "-onnx/onnx/ "
                + "(then give the folder " + name + "-onnx as the model)";
    }

    private static Path toPath(String s) {
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
