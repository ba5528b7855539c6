package io.peft4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.peft4j.core.Printable;
import io.peft4j.hub.CommitInfo;
import io.peft4j.hub.HubClient;
import io.peft4j.hub.ModelInfo;
import io.peft4j.hub.ModelSummary;
import io.peft4j.hub.RepoFile;
import io.peft4j.hub.SearchQuery;
import io.peft4j.hub.UploadOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j hub}: search, inspect, download and upload on the Hugging Face Hub, sharing
 * huggingface_hub's cache. {@code HF_ENDPOINT}, {@code HF_TOKEN}, {@code HF_HUB_CACHE} and
 * {@code HF_HUB_OFFLINE} apply as in Python; {@code --endpoint} and {@code --cache-dir} override them.
 */
@Command(name = "hub", mixinStandardHelpOptions = true,
        description = "Search, inspect, download and upload models and adapters on the Hugging Face Hub.",
        subcommands = {HubCommand.Search.class, HubCommand.Info.class, HubCommand.Files.class,
                HubCommand.Download.class, HubCommand.Upload.class})
public final class HubCommand implements Runnable {

    /** Created by picocli. */
    public HubCommand() {}

    /** JSON output, with the characters that could act on a terminal escaped as well. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static {
        JSON.getFactory().setCharacterEscapes(Printable.jsonEscapes());
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--endpoint", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "Hub address (default: HF_ENDPOINT, else https://huggingface.co).")
    String endpoint;

    @Option(names = "--cache-dir", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "Cache directory (default: HF_HUB_CACHE, else $HF_HOME/hub).")
    Path cacheDir;

    @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "SECONDS",
            description = "Give up on a Hub request (retries included) or a listing after this long (default: 120).")
    Integer timeoutSeconds;

    /** Without a subcommand, prints the usage. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A client for one subcommand, configured from the options and the environment; the caller closes it. */
    HubClient client() {
        HubClient.Builder builder = HubClient.builder();
        if (endpoint != null) {
            builder.endpoint(endpoint);
        }
        if (cacheDir != null) {
            builder.cacheDir(cacheDir);
        }
        if (timeoutSeconds != null) {
            if (timeoutSeconds < 1) {
                throw new ParameterException(spec.commandLine(), "--timeout must be at least 1 second, got " + timeoutSeconds);
            }
            builder.timeout(Duration.ofSeconds(timeoutSeconds));
        }
        return builder.build();
    }

    /** {@code peft4j hub search}. */
    @Command(name = "search", mixinStandardHelpOptions = true, description = "Search models; --base-model lists the PEFT adapters of a base model.")
    static final class Search implements Callable<Integer> {
        @ParentCommand HubCommand hub;
        @Spec CommandSpec spec;

        @Parameters(arity = "0..1", paramLabel = "QUERY", description = "Free-text search.")
        String query;
        @Option(names = "--base-model", paramLabel = "ID", description = "Only PEFT adapters of this base model.")
        String baseModel;
        @Option(names = "--author", paramLabel = "A", description = "Only models of this owner.")
        String author;
        @Option(names = "--filter", paramLabel = "TAG", description = "Only models with this tag (repeatable).")
        List<String> filters = new ArrayList<>();
        @Option(names = "--sort", paramLabel = "ORDER", description = "downloads, likes or lastModified (descending).")
        String sort;
        @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "At most N results (default ${DEFAULT-VALUE}; 0 for all).")
        int limit;
        @Option(names = "--json", description = "Print a JSON array of the results.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            SearchQuery.Builder q = SearchQuery.builder().text(query).author(author).limit(limit);
            filters.forEach(q::filter);
            if (baseModel != null) {
                q.adaptersOf(baseModel);
            }
            if (sort != null) {
                q.sort(SearchQuery.Sort.of(sort));
            }
            PrintWriter out = spec.commandLine().getOut();
            List<ModelSummary> found;
            try (HubClient client = hub.client()) {
                found = client.search(q.build()).toList();
            }
            if (json) {
                out.println(JSON.writeValueAsString(found));
            } else {
                out.printf("%-50s %12s %7s  %-10s  %s%n", "ID", "DOWNLOADS", "LIKES", "MODIFIED", "BASE MODEL");
                for (ModelSummary m : found) {
                    out.printf("%-50s %12d %7d  %-10s  %s%n", Printable.of(m.id()) + (m.gated() ? " (gated)" : ""), m.downloads(),
                            m.likes(), text(m.lastModified() == null ? null : m.lastModified().substring(0, Math.min(10, m.lastModified().length()))),
                            text(m.baseModel()));
                }
            }
            out.flush();
            return 0;
        }
    }

    /** {@code peft4j hub info}. */
    @Command(name = "info", mixinStandardHelpOptions = true, description = "Show a model's metadata and files.")
    static final class Info implements Callable<Integer> {
        @ParentCommand HubCommand hub;
        @Spec CommandSpec spec;
        @Mixin RepoAtRevision target;
        @Option(names = "--json", description = "Print the information as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            ModelInfo info;
            try (HubClient client = hub.client()) {
                info = client.modelInfo(target.repo, target.revision);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(JSON.writeValueAsString(info));
            } else {
                out.println("id:            " + text(info.id()));
                out.println("commit:        " + text(info.sha()));
                out.println("author:        " + text(info.author()));
                out.println("last modified: " + text(info.lastModified()));
                out.println("library:       " + text(info.libraryName()));
                out.println("base model:    " + text(info.baseModel()));
                out.println("peft adapter:  " + (info.isPeftAdapter() ? "yes" : "no"));
                out.println("gated:         " + (info.gated() ? "yes" : "no") + (info.privateRepo() ? " (private)" : ""));
                out.println("downloads:     " + info.downloads() + ", likes: " + info.likes());
                out.println("tags:          " + String.join(", ", info.tags().stream().map(HubCommand::text).toList()));
                out.println("files:");
                info.files().forEach(f -> out.println("  " + describe(f)));
            }
            out.flush();
            return 0;
        }
    }

    /** {@code peft4j hub files}. */
    @Command(name = "files", mixinStandardHelpOptions = true, description = "List a repository's files with sizes (and LFS sha256).")
    static final class Files implements Callable<Integer> {
        @ParentCommand HubCommand hub;
        @Spec CommandSpec spec;
        @Mixin RepoAtRevision target;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (HubClient client = hub.client()) {
                client.listFiles(target.repo, target.revision).forEach(f -> out.println(describe(f)));
            }
            out.flush();
            return 0;
        }
    }

    /** {@code peft4j hub download}. */
    @Command(name = "download", mixinStandardHelpOptions = true,
            description = "Download a repository (or the files matching --include) into the cache; prints the snapshot directory last.")
    static final class Download implements Callable<Integer> {
        @ParentCommand HubCommand hub;
        @Spec CommandSpec spec;
        @Mixin RepoAtRevision target;
        @Option(names = "--include", paramLabel = "GLOB", arity = "1..*", description = "Only files matching these patterns (fnmatch, as huggingface_hub).")
        List<String> include = new ArrayList<>();

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            Path dir;
            try (HubClient client = hub.client()) {
                dir = client.snapshot(target.repo, target.revision, include, DownloadProgress.forConsole(err));
            }
            err.flush();
            spec.commandLine().getOut().println(dir);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** {@code peft4j hub upload}. */
    @Command(name = "upload", mixinStandardHelpOptions = true,
            description = "Push an adapter directory to a repository in one commit (creates the repository if needed; needs HF_TOKEN).")
    static final class Upload implements Callable<Integer> {
        @ParentCommand HubCommand hub;
        @Spec CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "The adapter directory.")
        Path dir;
        @Parameters(index = "1", paramLabel = "REPO", description = "Repository id, owner/name.")
        String repo;
        @Option(names = "--private", description = "Create the repository as private.")
        boolean privateRepo;
        @Option(names = "--revision", defaultValue = "main", description = "Branch to commit to (default ${DEFAULT-VALUE}).")
        String revision;
        @Option(names = {"-m", "--message"}, defaultValue = "Upload adapter with peft4j", description = "Commit message.")
        String message;

        @Override
        public Integer call() {
            CommitInfo commit;
            try (HubClient client = hub.client()) {
                commit = client.upload(dir, repo, new UploadOptions(true, privateRepo, revision, message));
            }
            spec.commandLine().getOut().println(Printable.of(commit.commitUrl()));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** The {@code REPO [--revision R]} arguments that info, files and download share. */
    static final class RepoAtRevision {
        @Parameters(paramLabel = "REPO", description = "Repository id, owner/name.")
        String repo;
        @Option(names = "--revision", defaultValue = "main", description = "Branch, tag or commit (default ${DEFAULT-VALUE}).")
        String revision;
    }

    private static String describe(RepoFile f) {
        return String.format(Locale.ROOT, "%-60s %14d%s", Printable.of(f.path()), f.size(), f.isLfs() ? "  lfs sha256:" + Printable.of(f.lfsSha256()) : "");
    }

    /** Text from the Hub as it may be printed on a terminal (control characters escaped); empty for null. */
    private static String text(String s) {
        return s == null ? "" : Printable.of(s);
    }
}
