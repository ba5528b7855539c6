package io.peft4j.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the environment is found, keyed and checked, and what its failures say. */
class PythonEnvironmentTest {

    static final Path BRIDGE = Path.of("target", "classes", "python");
    static final Requirements PINNED = new Requirements("numpy==2.4.6\njep==4.3.1  # same as the jar\n");
    static final EnvironmentInstaller NO_INSTALL = (t, r, b, l, p) -> {
        throw new AssertionError("PEFT4J_PYTHON must be used as is");
    };

    @TempDir
    Path temp;

    @Test
    void settingsComeFromTheEnvironmentVariables() {
        Path user = Path.of("/users/ada");
        assertEquals(new EnvironmentSettings(null, user.resolve(".cache/peft4j"), null), EnvironmentSettings.from(Map.of(), user));
        assertEquals(Path.of("/xdg/peft4j"), EnvironmentSettings.from(Map.of("XDG_CACHE_HOME", "/xdg"), user).home());
        EnvironmentSettings all = EnvironmentSettings.from(Map.of("PEFT4J_HOME", "/p4j", "XDG_CACHE_HOME", "/xdg",
                "PEFT4J_PYTHON", "/venv", "PEFT4J_BASE_PYTHON", "/usr/bin/python3.12"), user);
        assertEquals(new EnvironmentSettings(Path.of("/venv"), Path.of("/p4j"), Path.of("/usr/bin/python3.12")), all);
        assertNull(EnvironmentSettings.from(Map.of("PEFT4J_PYTHON", " "), user).python(), "blank means unset");
    }

    @Test
    void requirementsKeyIsTheFirst16HexOfTheirSha256() throws Exception {
        assertEquals("ba7816bf8f01cfea", new Requirements("abc").key());
        byte[] shipped = Files.readAllBytes(Path.of("requirements.txt"));
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(shipped)).substring(0, 16);
        assertEquals(expected, BridgePackage.requirements().key(), "the classpath copy is the module's requirements.txt");
    }

    @Test
    void jepPinIsReadAndLeftOutOfThePipInstall() {
        assertEquals("4.3.1", PINNED.jepVersion());
        assertEquals("numpy==2.4.6\n", PINNED.withoutJep());
        assertEquals("4.3.1", BridgePackage.requirements().jepVersion());
        assertThrows(PythonEnvironmentException.class, () -> new Requirements("jeppy==1.0\n").jepVersion());
    }

    @Test
    void jepJarVersionMustMatchThePin() {
        assertEquals("4.3.1", PythonEnvironment.jarVersionFrom("repository/org/ninia/jep/4.3.1/jep-4.3.1.jar"));
        assertNull(PythonEnvironment.jarVersionFrom("/app/all-in-one.jar"));
        assertEquals("4.3.1", PythonEnvironment.jarVersion(BridgePackage.requirements()), "the pom's jep jar and requirements.txt agree");
        PythonEnvironmentException e = assertThrows(PythonEnvironmentException.class,
                () -> PythonEnvironment.jarVersion(new Requirements("jep==4.2.0\n")));
        assertEquals("the jep jar on the classpath is 4.3.1 but python/requirements.txt pins jep==4.2.0: use org.ninia:jep:4.2.0", e.getMessage());
    }

    @Test
    void embeddingChecksSayWhatIsWrongAndHowToFixIt() throws Exception {
        Path jepDir = Files.createDirectories(temp.resolve("site-packages").resolve("jep"));
        Path python = temp.resolve("bin").resolve("python");
        String fix = python + " -m pip install --no-build-isolation jep==4.3.1";

        PythonEnvironmentException missing = assertThrows(PythonEnvironmentException.class,
                () -> PythonEnvironment.of(installation("3.11.7", null), BRIDGE, PINNED, python));
        assertTrue(missing.getMessage().startsWith("jep is not installed in " + temp + ": run " + fix), missing.getMessage());

        PythonEnvironmentException mismatch = assertThrows(PythonEnvironmentException.class,
                () -> PythonEnvironment.of(installation("3.11.7", new PythonInstallation.Jep(jepDir.toString(), "4.2.0", "3.11")), BRIDGE, PINNED, python));
        assertTrue(mismatch.getMessage().startsWith("jep in " + temp + " is 4.2.0 but the jep jar is 4.3.1: run " + fix), mismatch.getMessage());

        PythonEnvironmentException unbuilt = assertThrows(PythonEnvironmentException.class,
                () -> PythonEnvironment.of(installation("3.11.7", new PythonInstallation.Jep(jepDir.toString(), "4.3.1", "3.11")), BRIDGE, PINNED, python));
        assertTrue(unbuilt.getMessage().contains("has no native library (libjep.so)"), unbuilt.getMessage());

        PythonEnvironmentException otherPython = assertThrows(PythonEnvironmentException.class,
                () -> PythonEnvironment.of(installation("3.12.3", new PythonInstallation.Jep(jepDir.toString(), "4.3.1", "3.11")), BRIDGE, PINNED, python));
        assertTrue(otherPython.getMessage().startsWith("jep in " + temp + " was built for Python 3.11 but this is Python 3.12.3: run "
                + python + " -m pip install --force-reinstall --no-cache-dir --no-build-isolation jep==4.3.1"), otherPython.getMessage());

        PythonEnvironmentException old = assertThrows(PythonEnvironmentException.class,
                () -> PythonEnvironment.of(installation("3.9.18", null), BRIDGE, PINNED, python));
        assertTrue(old.getMessage().contains("is Python 3.9.18; peft4j needs 3.10 or later"), old.getMessage());

        Files.writeString(jepDir.resolve("libjep.so"), "");
        PythonEnvironment ok = PythonEnvironment.of(installation("3.11.7", new PythonInstallation.Jep(jepDir.toString(), "4.3.1", "3.11")), BRIDGE, PINNED, python);
        assertEquals(jepDir.resolve("libjep.so"), ok.jepLibrary());
        assertEquals(jepDir.getParent(), ok.sitePackages());
    }

    @Test
    void pythonOverrideWorksAsInterpreterAndAsVenvDirectory() {
        PythonEnvironment real = PythonEnvironment.resolve();
        Path home = temp.resolve("home");
        PythonEnvironment byDir = PythonEnvironment.ensure(new EnvironmentSettings(real.home(), home, null), ManagedEnvironmentTest.QUIET, NO_INSTALL);
        PythonEnvironment byExecutable = PythonEnvironment.ensure(new EnvironmentSettings(real.pythonExecutable(), home, null), ManagedEnvironmentTest.QUIET, NO_INSTALL);
        for (PythonEnvironment env : new PythonEnvironment[] {byDir, byExecutable}) {
            assertEquals(real.home(), env.home());
            assertEquals(real.jepLibrary(), env.jepLibrary());
            assertEquals(real.pythonVersion(), env.pythonVersion());
            assertEquals("4.3.1", env.jepVersion());
        }
        assertTrue(Files.isRegularFile(byDir.jepLibrary()));
        assertTrue(Files.isDirectory(byDir.bridgePath().resolve("peft4j_bridge")));
        assertTrue(Files.notExists(home.resolve("envs")), "no managed environment is created");
    }

    @Test
    void badOverridesAreReportedInOneLine() throws Exception {
        Path empty = Files.createDirectories(temp.resolve("not-a-venv"));
        PythonEnvironmentException noBin = assertThrows(PythonEnvironmentException.class,
                () -> PythonEnvironment.ensure(new EnvironmentSettings(empty, temp, null), ManagedEnvironmentTest.QUIET, NO_INSTALL));
        assertEquals("PEFT4J_PYTHON=" + empty + " is a directory without bin/python: point it at a venv or a python executable", noBin.getMessage());

        Path absent = temp.resolve("no-such-python");
        PythonEnvironmentException gone = assertThrows(PythonEnvironmentException.class,
                () -> PythonEnvironment.ensure(new EnvironmentSettings(absent, temp, null), ManagedEnvironmentTest.QUIET, NO_INSTALL));
        assertTrue(gone.getMessage().startsWith("PEFT4J_PYTHON=" + absent + " cannot be run"), gone.getMessage());
    }

    @Test
    void basePythonMustBeRecentEnough() throws Exception {
        Path old = temp.resolve("python3");
        Files.writeString(old, "#!/bin/sh\necho '{\"executable\": \"" + old + "\", \"version\": \"3.8.10\"}'\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rwxr-xr-x"));
        PythonEnvironmentException e = assertThrows(PythonEnvironmentException.class, () -> new PipInstaller(old).findBasePython(BRIDGE));
        assertTrue(e.getMessage().startsWith("PEFT4J_BASE_PYTHON=" + old + " is Python 3.8.10; peft4j needs 3.10+: install Python 3.11 (apt-get install python3 python3-venv python3-dev)"), e.getMessage());
    }

    @Test
    void missingPrerequisitesNameTheirFix() {
        Path python = Path.of("/usr/bin/python3");
        assertEquals("/usr/bin/python3 has no venv/ensurepip module: apt-get install python3.12-venv",
                assertThrows(PythonEnvironmentException.class, () -> PipInstaller.checkPrerequisites(base(false, true, true), python)).getMessage());
        assertEquals("the Python 3.12 headers (Python.h) are missing, jep needs them to build: apt-get install python3.12-dev",
                assertThrows(PythonEnvironmentException.class, () -> PipInstaller.checkPrerequisites(base(true, false, true), python)).getMessage());
        assertTrue(assertThrows(PythonEnvironmentException.class, () -> PipInstaller.checkPrerequisites(base(true, true, false), python))
                .getMessage().startsWith("/usr/bin/python3 was built without a shared libpython"));
        PipInstaller.checkPrerequisites(base(true, true, true), python);
    }

    private PythonInstallation installation(String version, PythonInstallation.Jep jep) {
        return new PythonInstallation(temp + "/bin/python", temp.toString(), version, true, true, true, jep);
    }

    private static PythonInstallation base(boolean venv, boolean headers, boolean shared) {
        return new PythonInstallation("/usr/bin/python3", "/usr", "3.12.3", headers, shared, venv, null);
    }
}
