package io.peft4j;

import io.peft4j.bridge.PythonEnvironment;
import io.peft4j.bridge.PythonException;
import io.peft4j.bridge.PythonRuntime;
import io.peft4j.core.Peft4jException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@linkplain TrainConfig#distributed() distributed} training run: the embedded interpreter
 * cannot host several ranks, so this starts {@code python -m torch.distributed.run} (or
 * {@code accelerate launch} with an accelerate config) with the environment's python, each rank
 * running {@code peft4j_bridge.launch}, which calls the same {@code train.train} as in-process runs.
 *
 * <p>Events: this machine's local rank 0 connects to a loopback socket opened here and writes one
 * JSON object a line per event, which reach the {@link TrainingListener} as in-process runs do (on
 * a reader thread). Cancellation: {@link TrainingHandle#cancel()} creates a cancel file; the ranks
 * agree on it after the next optimizer step, save a checkpoint and stop; if they have not exited after
 * {@link #CANCEL_GRACE}, the process tree is killed. The launcher runs in its own session ({@code setsid}
 * where present), so a terminal's Ctrl-C reaches only the JVM, whose cancellation lets the ranks save a
 * checkpoint; if the JVM dies, the ranks see the event socket close and stop the same way. A failed rank writes its error to a file; the run
 * then fails with a {@link PythonException} carrying the traceback of the rank that failed first.
 *
 * <p>With the same seed, data and global batch ({@code batchSize x processes}), a run on N processes
 * takes the same examples in each step as one process does and, as Trainer divides the loss by the
 * token count of the whole global batch, computes the same gradients up to float summation order (see
 * {@code DistributedTrainingTest}: per-step losses within 1e-4 relative, adapter weights within 1e-4 of
 * each tensor's largest value, with dropout 0 since each rank draws its own dropout masks).
 */
final class DistributedLauncher {

    /** How long cancelled ranks get to save a checkpoint and exit before they are killed. */
    static final Duration CANCEL_GRACE = Duration.ofSeconds(120);

    private static final Logger LOG = LoggerFactory.getLogger("peft4j.distributed");
    private static final String ENTRY = "peft4j_bridge.launch";
    private static final int TAIL = 200;
    /** Runs the launcher in its own session, so a terminal's Ctrl-C reaches only the JVM, which cancels cleanly. */
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private DistributedLauncher() {}

    /** Starts the ranks for {@code request} (whose config's {@code distributed()} is set) and supervises them on a thread. */
    static TrainingHandle start(TrainRequest request, TrainingListener listener) {
        return start(request, listener, ENTRY, List.of());
    }

    /**
     * Starts the ranks running {@code entryModule} (tests substitute a wrapper) with {@code extraPythonPath}
     * before the bridge package on {@code PYTHONPATH}.
     */
    static TrainingHandle start(TrainRequest request, TrainingListener listener, String entryModule, List<Path> extraPythonPath) {
        TrainingHandle.CancelFlag flag = new TrainingHandle.CancelFlag();
        TrainingEvents events = new TrainingEvents(listener);
        CompletableFuture<TrainResult> future = new CompletableFuture<>();
        Distributed distributed = request.config().distributed().orElseThrow();
        Thread.ofPlatform().name("peft4j-distributed").start(() -> {
            try (Run run = new Run(distributed, request, events, flag)) {
                future.complete(run.execute(entryModule, extraPythonPath));
            } catch (Throwable e) {
                future.completeExceptionally(events.failure().orElse(e));
            } finally {
                TrainingPreflight.cleanUp(request);
            }
        });
        return new TrainingHandle(flag, future);
    }

    /**
     * The launcher command: torchrun ({@code python -m torch.distributed.run}), or {@code accelerate launch}
     * when an accelerate config is given, running {@code entryModule spec} on every rank.
     */
    static List<String> command(Path python, Distributed d, String entryModule, Path spec) {
        List<String> command = new ArrayList<>(List.of(python.toString(), "-m"));
        if (d.accelerateConfig() != null) {
            command.addAll(List.of("accelerate.commands.launch", "--config_file", d.accelerateConfig().toString(),
                    "--num_processes", String.valueOf(d.worldSize()), "--num_machines", String.valueOf(d.nodes()),
                    "--machine_rank", String.valueOf(d.nodeRank())));
            if (d.masterAddress() != null) {
                command.addAll(List.of("--main_process_ip", d.masterAddress(), "--main_process_port", String.valueOf(d.masterPort())));
            }
            command.add("--module");
        } else {
            command.addAll(List.of("torch.distributed.run", "--nproc-per-node", String.valueOf(d.processesPerNode())));
            if (d.masterAddress() == null) {
                // --standalone, but on 127.0.0.1 rather than "localhost" (which may resolve to ::1 for one
                // side and 127.0.0.1 for the other); port 0 lets the store pick a free port
                command.addAll(List.of("--nnodes", "1", "--rdzv-backend", "c10d", "--rdzv-endpoint", "127.0.0.1:0",
                        "--rdzv-id", "peft4j-" + ProcessHandle.current().pid() + "-" + System.nanoTime()));
            } else {
                command.addAll(List.of("--nnodes", String.valueOf(d.nodes()), "--node-rank", String.valueOf(d.nodeRank()),
                        "--master-addr", d.masterAddress(), "--master-port", String.valueOf(d.masterPort())));
            }
            command.add("-m");
        }
        command.addAll(List.of(entryModule, spec.toString()));
        return command;
    }

    /**
     * The error of the rank that failed first, from the {@code rank-N.json} files {@code launch.py} writes,
     * or null when no rank left one (the launcher itself failed, or a rank was killed).
     */
    static PythonException firstRankError(Path errorDir) throws IOException {
        if (!Files.isDirectory(errorDir)) {
            return null;
        }
        List<RankError> errors = new ArrayList<>();
        try (Stream<Path> files = Files.list(errorDir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().matches("rank-\\d+\\.json")).toList()) {
                errors.add(Contract.read(Files.readString(file), RankError.class));
            }
        }
        return errors.stream().min(Comparator.comparingDouble(RankError::time)).map(e ->
                new PythonException(e.type(), "rank " + e.rank() + ": " + e.message(), e.traceback(), null)).orElse(null);
    }

    /** One launch: its work directory (spec, cancel file, error files), event socket and process. */
    private static final class Run implements AutoCloseable {
        private final Distributed distributed;
        private final TrainRequest request;
        private final TrainingEvents events;
        private final TrainingHandle.CancelFlag flag;
        private final Path work;
        private final ServerSocket socket;
        private final ArrayDeque<String> tail = new ArrayDeque<>();

        Run(Distributed distributed, TrainRequest request, TrainingEvents events, TrainingHandle.CancelFlag flag) throws IOException {
            this.distributed = distributed;
            this.request = request;
            this.events = events;
            this.flag = flag;
            this.work = Files.createTempDirectory("peft4j-distributed-");
            this.socket = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        }

        TrainResult execute(String entryModule, List<Path> extraPythonPath) throws IOException, InterruptedException {
            PythonEnvironment env = PythonEnvironment.resolve();
            Path spec = writeSpec();
            List<String> command = new ArrayList<>(command(env.pythonExecutable(), distributed, entryModule, spec));
            if (Files.isExecutable(SETSID)) {
                command.addAll(0, List.of(SETSID.toString(), "--wait"));
            }
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            Map<String, String> environment = builder.environment();
            List<String> path = new ArrayList<>(extraPythonPath.stream().map(Path::toString).toList());
            path.add(env.bridgePath().toString());
            if (environment.get("PYTHONPATH") != null) {
                path.add(environment.get("PYTHONPATH"));
            }
            environment.put("PYTHONPATH", String.join(java.io.File.pathSeparator, path));
            environment.put("PATH", env.pythonExecutable().getParent() + java.io.File.pathSeparator + environment.getOrDefault("PATH", ""));
            environment.putIfAbsent("TOKENIZERS_PARALLELISM", "false");
            if (!PythonRuntime.isVerbose()) {
                environment.putIfAbsent("TORCH_CPP_LOG_LEVEL", "ERROR"); // set before torch loads in each rank
            }
            LOG.debug("starting {}", builder.command());
            Process process = builder.start();
            Thread output = Thread.ofPlatform().daemon().name("peft4j-distributed-output").start(() -> drain(process));
            Thread reader = Thread.ofPlatform().daemon().name("peft4j-distributed-events").start(this::acceptEvents);
            int exit = supervise(process);
            output.join();
            socket.close();
            reader.join(TimeUnit.SECONDS.toMillis(10));
            if (exit != 0) {
                PythonException rankError = firstRankError(work.resolve("errors"));
                if (rankError != null) {
                    throw rankError;
                }
                LOG.warn("distributed launcher failed; its last output:\n{}", launcherOutput());
                throw new PythonException("DistributedTrainingError",
                        "launcher exit code " + exit + ": " + lastErrorLine(), launcherOutput(), null);
            }
            return events.result().orElseThrow(() ->
                    new Peft4jException("distributed training ended without reporting a result: " + lastErrorLine()));
        }

        private Path writeSpec() throws IOException {
            LaunchSpec spec = new LaunchSpec(request, socket.getLocalPort(), work.resolve("cancel"), work.resolve("errors"),
                    Optional.ofNullable(distributed.backend()), distributed.worldSize(), PythonRuntime.isVerbose());
            Path file = work.resolve("spec.json");
            Files.writeString(file, Contract.write(spec));
            return file;
        }

        /** Waits for the launcher, turning a cancel request into the cancel file and, after the grace period, kills. */
        private int supervise(Process process) throws InterruptedException, IOException {
            long killAt = Long.MAX_VALUE;
            while (!process.waitFor(200, TimeUnit.MILLISECONDS)) {
                boolean failed = events.failure().isPresent();
                if ((flag.isCancelled() || failed) && killAt == Long.MAX_VALUE) {
                    Files.writeString(work.resolve("cancel"), "cancel\n");
                    killAt = System.nanoTime() + (failed ? 0 : CANCEL_GRACE.toNanos());
                }
                if (System.nanoTime() >= killAt) {
                    kill(process);
                    if (!failed) {
                        throw new Peft4jException("cancelled distributed training did not stop within "
                                + CANCEL_GRACE.toSeconds() + " s; its processes were killed");
                    }
                }
            }
            return process.exitValue();
        }

        private static void kill(Process process) throws InterruptedException {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor();
        }

        private void drain(Process process) {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    LOG.debug("{}", line);
                    synchronized (tail) {
                        if (tail.size() == TAIL) {
                            tail.removeFirst();
                        }
                        tail.addLast(line);
                    }
                }
            } catch (IOException e) {
                LOG.debug("launcher output closed: {}", e.getMessage());
            }
        }

        /** The launcher's last lines of output, for the exception's traceback. */
        private String launcherOutput() {
            synchronized (tail) {
                return String.join("\n", tail);
            }
        }

        private String lastErrorLine() {
            synchronized (tail) {
                List<String> lines = new ArrayList<>(tail);
                for (int i = lines.size() - 1; i >= 0; i--) {
                    String line = lines.get(i).strip().replaceFirst("^\\[rank\\d+\\]:\\s*", "");
                    if (line.matches("^[A-Za-z_.]*(Error|Exception): .*") || line.startsWith("ERROR")) {
                        return line;
                    }
                }
                return lines.isEmpty() ? "(no output)" : lines.getLast().strip();
            }
        }

        /**
         * Hands event lines from each connecting local rank 0 to {@link TrainingEvents} until the socket
         * is closed; after a listener failure ({@link TrainingEvents#failure()}) the run is killed.
         */
        private void acceptEvents() {
            while (!socket.isClosed()) {
                try (Socket connection = socket.accept();
                     BufferedReader in = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        events.accept(line);
                    }
                } catch (IOException closed) {
                    return;
                } catch (RuntimeException | Error listenerFailed) {
                    return;
                }
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
                try (Stream<Path> walk = Files.walk(work)) {
                    for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
