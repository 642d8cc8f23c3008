package io.maas.gateway.completion;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.maas.gateway.inference.AdapterRegistry;
import io.maas.gateway.inference.EngineSchedulers;
import io.maas.gateway.inference.GenerationExecutor;
import io.maas.inference.engine.GenerationListener;
import io.maas.inference.engine.GenerationRequest;
import io.maas.inference.engine.GenerationResult;

/** Generation in this process: the model's scheduler, with the adapter made resident first. */
@ApplicationScoped
public class LocalGenerationBackend implements GenerationBackend {
    @Inject
    EngineSchedulers schedulers;
    @Inject
    AdapterRegistry adapters;
    @Inject
    GenerationExecutor engineThreads;

    @Override
    public GenerationResult generate(GenerationService.Target target, GenerationRequest request,
            GenerationListener listener, String requestId) {
        return generate(target, request, null, listener, requestId);
    }

    @Override
    public GenerationResult generate(GenerationService.Target target, GenerationRequest request, int[] promptTokenIds,
            GenerationListener listener, String requestId) {
        AdapterRegistry.AdapterEntry adapter = target.adapter();
        return adapter == null ? schedulers.generate(target.engine(), request, promptTokenIds, listener)
                : adapters.withAdapter(target.engine(), adapter,
                        () -> schedulers.generate(target.engine(), request, promptTokenIds, listener));
    }

    /** As {@link #generate}, but on an engine thread when the scheduler is off (with it, the caller only waits). */
    public GenerationResult generateOnEngine(GenerationService.Target target, GenerationRequest request,
            GenerationListener listener, String requestId) {
        if (schedulers.enabled()) {
            return generate(target, request, listener, requestId);
        }
        return engineThreads.call(() -> generate(target, request, listener, requestId));
    }
}
