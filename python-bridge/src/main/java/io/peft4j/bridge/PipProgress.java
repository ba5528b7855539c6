package io.peft4j.bridge;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How far a {@code pip install} has come, read from the lines it prints with {@code --progress-bar off}:
 * {@code Collecting NAME} per requirement resolved, {@code Downloading FILE (SIZE)} per download (pip
 * prints the size before fetching, so a download counts once the next line shows it finished),
 * {@code Installing collected packages: A, B, ...} when unpacking starts, {@code Successfully installed}
 * at the end. Each line that moves the status on yields the new one-line status.
 */
final class PipProgress {

    private static final Pattern DOWNLOAD = Pattern.compile("^\\s*Downloading \\S+ \\(([\\d.]+) (kB|MB|GB)\\)");
    private static final Pattern CACHED = Pattern.compile("^\\s*Using cached \\S+");
    private static final String INSTALLING = "Installing collected packages: ";

    private int packages;
    private int downloads;
    private double downloadedMb;
    private double pendingMb;

    /** The status after {@code line}, when the line changes it. */
    Optional<String> accept(String line) {
        downloadedMb += pendingMb; // the previous download finished, since pip printed another line
        pendingMb = 0;
        if (line.startsWith("Collecting ")) {
            packages++;
            return Optional.of(String.format(Locale.ROOT, "pip: %d packages resolved, %d downloaded (%s)", packages,
                    downloads, size(downloadedMb)));
        }
        Matcher download = DOWNLOAD.matcher(line);
        if (download.find()) {
            downloads++;
            pendingMb = megabytes(Double.parseDouble(download.group(1)), download.group(2));
            return Optional.of(String.format(Locale.ROOT, "pip: %d packages resolved, downloading #%d (%s of %s so far)",
                    packages, downloads, size(pendingMb), size(downloadedMb + pendingMb)));
        }
        if (CACHED.matcher(line).find()) {
            downloads++;
            return Optional.empty();
        }
        if (line.startsWith(INSTALLING)) {
            int count = line.substring(INSTALLING.length()).split(",").length;
            return Optional.of(String.format(Locale.ROOT, "pip: installing %d packages (%s downloaded); unpacking takes a while",
                    count, size(downloadedMb)));
        }
        if (line.startsWith("Successfully installed ")) {
            int count = line.substring("Successfully installed ".length()).strip().split("\\s+").length;
            return Optional.of(String.format(Locale.ROOT, "pip: %d packages installed", count));
        }
        return Optional.empty();
    }

    private static double megabytes(double value, String unit) {
        return switch (unit) {
            case "kB" -> value / 1000;
            case "GB" -> value * 1000;
            default -> value;
        };
    }

    private static String size(double mb) {
        return mb >= 1000 ? String.format(Locale.ROOT, "%.2f GB", mb / 1000) : String.format(Locale.ROOT, "%.0f MB", mb);
    }
}
