package io.maas.inference.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.Map;

/** The process-wide native defaults: OpenMP spins boundedly unless the environment chose how it waits. */
class PyTorchSetupTest {

    @Test
    void openMpSpinsBoundedUnlessTheEnvironmentChoosesHowItWaits() {
        LlamaEngine.applyNativeDefaults();
        String policy = System.getenv(PyTorchSetup.OMP_WAIT_POLICY);
        String spin = System.getenv(PyTorchSetup.GOMP_SPINCOUNT);
        // The process environment (what libgomp reads), not Java's snapshot of it.
        if (policy == null && spin == null) {
            assertEquals(PyTorchSetup.DEFAULT_SPIN_COUNT, PyTorchSetup.processEnvironment(PyTorchSetup.GOMP_SPINCOUNT));
            // A wait policy would override nothing here but must not be invented either: PASSIVE would mean 0 spins.
            assertNull(PyTorchSetup.processEnvironment(PyTorchSetup.OMP_WAIT_POLICY));
        } else {
            assertEquals(policy, PyTorchSetup.processEnvironment(PyTorchSetup.OMP_WAIT_POLICY));
            assertEquals(spin, PyTorchSetup.processEnvironment(PyTorchSetup.GOMP_SPINCOUNT));
        }
        assertTrue(LlamaEngine.nativeThreading().contains("GOMP_SPINCOUNT "
                + PyTorchSetup.processEnvironment(PyTorchSetup.GOMP_SPINCOUNT)), LlamaEngine.nativeThreading());
    }

    @Test
    void eitherOpenMpVariableInTheEnvironmentWins() {
        assertEquals(PyTorchSetup.DEFAULT_SPIN_COUNT, PyTorchSetup.spinCountToSet(Map.<String, String>of()::get));
        assertNull(PyTorchSetup.spinCountToSet(Map.of("OMP_WAIT_POLICY", "ACTIVE")::get));
        assertNull(PyTorchSetup.spinCountToSet(Map.of("OMP_WAIT_POLICY", "PASSIVE")::get));
        assertNull(PyTorchSetup.spinCountToSet(Map.of("GOMP_SPINCOUNT", "0")::get));
    }
}
