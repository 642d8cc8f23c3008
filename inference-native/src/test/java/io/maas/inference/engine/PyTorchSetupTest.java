package io.maas.inference.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The process-wide native defaults: OpenMP threads wait passively unless the environment chose otherwise. */
class PyTorchSetupTest {

    @Test
    void openMpWaitsPassivelyUnlessTheEnvironmentSetsAPolicy() {
        LlamaEngine.applyNativeDefaults();
        String fromEnvironment = System.getenv(PyTorchSetup.OMP_WAIT_POLICY);
        // The process environment (what libgomp reads), not Java's snapshot of it.
        assertEquals(fromEnvironment != null ? fromEnvironment : "PASSIVE", PyTorchSetup.ompWaitPolicy());
    }
}
