package dev.siglipstream.siglip.hub;

import java.util.List;
import java.util.Objects;

/**
 * The files of a Hub model repository at one revision, and the commit that revision points to.
 *
 * @param repoId the repository, e.g. {@code Xenova/siglip-base-patch16-224}
 * @param revision the revision asked for (branch, tag or commit sha)
 * @param commitSha the 40-hex commit the revision resolved to
 * @param files repository-relative file paths with {@code /} separators, in the server's order
 */
public record RepoListing(String repoId, String revision, String commitSha, List<String> files) {
    public RepoListing {
        Objects.requireNonNull(repoId, "repoId");
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(commitSha, "commitSha");
        files = List.copyOf(files);
    }
}
