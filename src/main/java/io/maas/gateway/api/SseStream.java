package io.maas.gateway.api;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.maas.gateway.openai.OpenAiError;

/**
 * Server-sent events as OpenAI streams them: {@code data: <json>} per event, {@code data: [DONE]} at the end.
 * Every event is flushed at once. A failed write means the client is gone; callers poll {@link #clientGone()}
 * to stop generating.
 */
public final class SseStream {
    public static final String MEDIA_TYPE = "text/event-stream";

    private final OutputStream out;
    private final ObjectMapper json;
    private final BooleanSupplier connectionClosed;
    private volatile boolean clientGone;

    /**
     * @param connectionClosed asks the HTTP layer whether the client closed the connection: writes to a closed
     *                         connection are not always reported as errors, so they alone cannot tell
     */
    public SseStream(OutputStream out, ObjectMapper json, BooleanSupplier connectionClosed) {
        this.out = out;
        this.json = json;
        this.connectionClosed = connectionClosed;
    }

    public void send(Object event) {
        try {
            write(json.writeValueAsString(event));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stream event cannot be encoded", e);
        }
    }

    /** An error after the stream started: the status line is already sent, so it travels as an event. */
    public void sendError(OpenAiException e) {
        send(OpenAiError.of(e.getMessage(), e.type(), e.param(), e.code()));
    }

    public void done() {
        write("[DONE]");
    }

    public boolean clientGone() {
        if (!clientGone && connectionClosed.getAsBoolean()) {
            clientGone = true;
        }
        return clientGone;
    }

    private void write(String data) {
        if (clientGone()) {
            return;
        }
        try {
            out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException | RuntimeException e) {
            clientGone = true;
        }
    }
}
