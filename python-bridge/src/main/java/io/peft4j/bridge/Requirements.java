package io.peft4j.bridge;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The pinned requirements file ({@code python-bridge/requirements.txt}, shipped in the jar as
 * {@code python/requirements.txt}): its hash keys the managed environment, and its {@code jep}
 * pin must equal the jep jar's version.
 *
 * @param text the file's content
 */
record Requirements(String text) {

    private static final Pattern JEP_PIN = Pattern.compile("(?m)^\\s*jep\\s*==\\s*([^\\s#;]+)");

    /** The first 16 hex digits of the SHA-256 of the file: the managed environment's directory name. */
    public String key() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** The version {@code jep} is pinned to. */
    public String jepVersion() {
        Matcher m = JEP_PIN.matcher(text);
        if (!m.find()) {
            throw new PythonEnvironmentException("python/requirements.txt has no 'jep==<version>' pin: the peft4j-python-bridge jar is broken, rebuild it");
        }
        return m.group(1);
    }

    /** Every requirement except jep, which is built separately against the running JDK. */
    public String withoutJep() {
        return text.lines().filter(line -> !JEP_PIN.matcher(line).find())
                .collect(Collectors.joining("\n", "", "\n"));
    }
}
