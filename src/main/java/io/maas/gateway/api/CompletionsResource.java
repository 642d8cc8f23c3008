package io.maas.gateway.api;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.maas.gateway.admission.RateLimiter;
import io.maas.gateway.auth.Caller;
import io.maas.gateway.auth.Roles;
import io.maas.gateway.completion.ChatCompletionService;
import io.maas.gateway.completion.CompletionService;
import io.maas.gateway.completion.EmbeddingService;
import io.maas.gateway.metering.TraceContext;
import io.maas.gateway.openai.ChatCompletionRequest;
import io.maas.gateway.openai.ChatCompletionResponse;
import io.maas.gateway.openai.CompletionRequest;
import io.maas.gateway.openai.CompletionResponse;
import io.maas.gateway.openai.EmbeddingRequest;
import io.maas.gateway.openai.EmbeddingResponse;
import io.maas.gateway.openai.WireJson;
import io.quarkus.security.identity.SecurityIdentity;
import io.vertx.core.http.HttpServerResponse;

/** {@code POST /v1/completions}, {@code /v1/chat/completions} (whole JSON or server-sent events) and {@code /v1/embeddings}. */
@Path("/v1")
@RolesAllowed({ Roles.TENANT_MEMBER, Roles.TENANT_ADMIN, Roles.PLATFORM_ADMIN })
public class CompletionsResource {
    @Inject
    CompletionService completions;
    @Inject
    ChatCompletionService chat;
    @Inject
    SecurityIdentity identity;
    @Inject
    ObjectMapper json;
    @Inject
    EmbeddingService embeddings;

    @POST
    @Path("completions")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Create a completion", description = "OpenAI-compatible; `stream: true` answers server-sent events.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = CompletionRequest.class),
            examples = @ExampleObject(name = "completion", value = OpenApiExamples.COMPLETION_REQUEST)))
    @APIResponse(responseCode = "200", content = {
            @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = CompletionResponse.class),
                    examples = @ExampleObject(name = "completion", value = OpenApiExamples.COMPLETION_RESPONSE)),
            @Content(mediaType = SseStream.MEDIA_TYPE) })
    @APIResponse(responseCode = "400", description = "Invalid request (OpenAI error object)", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, examples = @ExampleObject(name = "invalid", value = OpenApiExamples.ERROR_400)))
    @APIResponse(responseCode = "404", description = "Unknown model", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, examples = @ExampleObject(name = "unknown model", value = OpenApiExamples.ERROR_404)))
    @APIResponse(responseCode = "413", description = "Body over the configured bound", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, examples = @ExampleObject(name = "too large", value = OpenApiExamples.ERROR_413)))
    @APIResponse(responseCode = "429", description = "Rate limit exceeded", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, examples = @ExampleObject(name = "rate limited", value = OpenApiExamples.ERROR_429)))
    public Response complete(byte[] body, @HeaderParam(TraceContext.HEADER) String traceparent,
            @HeaderParam(RequestIds.HEADER) String requestId, @Context HttpServerResponse response) {
        CompletionService.Prepared prepared = completions.prepare(Caller.of(identity),
                WireJson.read(body, CompletionRequest.class), TraceContext.fromHeader(traceparent), requestId);
        if (prepared.stream()) {
            return stream(out -> completions.stream(prepared, new SseStream(out, json, response::closed)),
                    prepared.job().permit());
        }
        return withLimits(Response.ok(completions.complete(prepared), MediaType.APPLICATION_JSON_TYPE),
                prepared.job().permit());
    }

    @POST
    @Path("chat/completions")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Create a chat completion", description = "OpenAI-compatible; `stream: true` answers server-sent events.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ChatCompletionRequest.class), examples = {
                    @ExampleObject(name = "chat", value = OpenApiExamples.CHAT_REQUEST),
                    @ExampleObject(name = "streamed, with usage, on an adapter", value = OpenApiExamples.CHAT_STREAM_REQUEST) }))
    @APIResponse(responseCode = "200", content = {
            @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ChatCompletionResponse.class),
                    examples = @ExampleObject(name = "chat", value = OpenApiExamples.CHAT_RESPONSE)),
            @Content(mediaType = SseStream.MEDIA_TYPE,
                    examples = @ExampleObject(name = "stream", value = OpenApiExamples.CHAT_STREAM_RESPONSE)) })
    @APIResponse(responseCode = "400", description = "Invalid request (OpenAI error object)", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, examples = @ExampleObject(name = "invalid", value = OpenApiExamples.ERROR_400)))
    @APIResponse(responseCode = "404", description = "Unknown model", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, examples = @ExampleObject(name = "unknown model", value = OpenApiExamples.ERROR_404)))
    @APIResponse(responseCode = "413", description = "Body over the configured bound", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, examples = @ExampleObject(name = "too large", value = OpenApiExamples.ERROR_413)))
    @APIResponse(responseCode = "429", description = "Rate limit exceeded", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, examples = @ExampleObject(name = "rate limited", value = OpenApiExamples.ERROR_429)))
    public Response chat(byte[] body, @HeaderParam(TraceContext.HEADER) String traceparent,
            @HeaderParam(RequestIds.HEADER) String requestId, @Context HttpServerResponse response) {
        ChatCompletionService.Prepared prepared = chat.prepare(Caller.of(identity),
                WireJson.read(body, ChatCompletionRequest.class), TraceContext.fromHeader(traceparent), requestId);
        if (prepared.stream()) {
            return stream(out -> chat.stream(prepared, new SseStream(out, json, response::closed)),
                    prepared.job().permit());
        }
        return withLimits(Response.ok(chat.complete(prepared), MediaType.APPLICATION_JSON_TYPE),
                prepared.job().permit());
    }

    @POST
    @Path("embeddings")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create embeddings", description = "OpenAI-compatible; `encoding_format` float or base64.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = EmbeddingRequest.class),
            examples = @ExampleObject(name = "two inputs", value = OpenApiExamples.EMBEDDING_REQUEST)))
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = EmbeddingResponse.class),
            examples = @ExampleObject(name = "float vectors (shortened)", value = OpenApiExamples.EMBEDDING_RESPONSE)))
    public EmbeddingResponse embeddings(byte[] body, @HeaderParam(TraceContext.HEADER) String traceparent,
            @HeaderParam(RequestIds.HEADER) String requestId) {
        return embeddings.embed(Caller.of(identity), WireJson.read(body, EmbeddingRequest.class),
                TraceContext.fromHeader(traceparent), requestId);
    }

    private static Response stream(StreamingOutput body, RateLimiter.Permit permit) {
        return withLimits(Response.ok(body, SseStream.MEDIA_TYPE).header("Cache-Control", "no-cache")
                .header("X-Accel-Buffering", "no"), permit);
    }

    /** The rate-limit headers as they stand once the response is ready (after settling, for whole responses). */
    private static Response withLimits(Response.ResponseBuilder response, RateLimiter.Permit permit) {
        permit.headers().forEach(response::header);
        return response.build();
    }
}
