package io.peft4j.hub;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Include patterns for snapshots, matched like huggingface_hub's {@code filter_repo_objects}:
 * Python {@code fnmatch} ({@code *} matches any run of characters including {@code /}, {@code ?}
 * one character, {@code [seq]} and {@code [!seq]} a set), and a pattern ending in {@code /}
 * matches everything under that folder. No patterns means everything.
 */
final class GlobFilter {

    private final List<Pattern> patterns;

    GlobFilter(List<String> globs) {
        this.patterns = globs.stream().map(g -> g.endsWith("/") ? g + "*" : g).map(GlobFilter::translate).toList();
    }

    boolean matches(String path) {
        return patterns.isEmpty() || patterns.stream().anyMatch(p -> p.matcher(path).matches());
    }

    static Pattern translate(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '[' -> {
                    int end = glob.indexOf(']', i + 2);
                    if (end < 0) {
                        re.append("\\[");
                    } else {
                        String set = glob.substring(i + 1, end);
                        boolean negate = set.startsWith("!");
                        re.append('[').append(negate ? "^" : "")
                                .append((negate ? set.substring(1) : set).replace("\\", "\\\\").replace("[", "\\[").replace("^", "\\^"))
                                .append(']');
                        i = end;
                    }
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }
}
