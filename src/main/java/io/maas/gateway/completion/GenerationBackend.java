package io.maas.gateway.completion;

import io.maas.inference.engine.GenerationListener;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.GenerationResult;

/** Where one choice of a validated request is generated: this process's engine, or a worker of the fleet. */
public interface GenerationBackend {

    /**
     * Generates on the calling thread's behalf and returns once generation ended; deltas reach {@code listener} as
     * they come. Throws what the local engine throws (an {@code OpenAiException} for refusals such as overload).
     */
    GenerationResult generate(GenerationService.Target target, GenerationRequest request, GenerationListener listener,
            String requestId);

    /**
     * As {@link #generate(GenerationService.Target, GenerationRequest, GenerationListener, String)}, with the
     * prompt's token ids as admission encoded them with the target engine (a local engine then does not tokenize
     * the prompt again; a remote worker ignores them).
     */
    default GenerationResult generate(GenerationService.Target target, GenerationRequest request, int[] promptTokenIds,
            GenerationListener listener, String requestId) {
        return generate(target, request, listener, requestId);
    }
}
