package io.maas.gateway.api;

/** Request and response examples shown in the OpenAPI document ({@code /q/openapi}) for the public endpoints. */
final class OpenApiExamples {
    static final String COMPLETION_REQUEST = """
            {"model": "demo-tiny", "prompt": "Once upon a time", "max_tokens": 16, "temperature": 0.7, "seed": 42}""";
    static final String COMPLETION_RESPONSE = """
            {"id": "cmpl-6f1c2b0e9a8d4c7fb1e2d3c4a5b6c7d8", "object": "text_completion", "created": 1764115200,
             "model": "demo-tiny",
             "choices": [{"text": " there lived a tiny model", "index": 0, "logprobs": null, "finish_reason": "length"}],
             "usage": {"prompt_tokens": 4, "completion_tokens": 16, "total_tokens": 20}}""";
    static final String CHAT_REQUEST = """
            {"model": "demo-tiny",
             "messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Say hello."}],
             "max_tokens": 8, "stream": false}""";
    static final String CHAT_STREAM_REQUEST = """
            {"model": "demo-tiny-lora", "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 8,
             "stream": true, "stream_options": {"include_usage": true}}""";
    static final String CHAT_RESPONSE = """
            {"id": "chatcmpl-6f1c2b0e9a8d4c7fb1e2d3c4a5b6c7d8", "object": "chat.completion", "created": 1764115200,
             "model": "demo-tiny",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello."}, "logprobs": null,
                          "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 21, "completion_tokens": 3, "total_tokens": 24}}""";
    static final String CHAT_STREAM_RESPONSE = """
            data: {"id":"chatcmpl-6f1c","object":"chat.completion.chunk","created":1764115200,"model":"demo-tiny-lora","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

            data: {"id":"chatcmpl-6f1c","object":"chat.completion.chunk","created":1764115200,"model":"demo-tiny-lora","choices":[{"index":0,"delta":{"content":"Hello."},"finish_reason":null}]}

            data: {"id":"chatcmpl-6f1c","object":"chat.completion.chunk","created":1764115200,"model":"demo-tiny-lora","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

            data: {"id":"chatcmpl-6f1c","object":"chat.completion.chunk","created":1764115200,"model":"demo-tiny-lora","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}

            data: [DONE]
            """;
    static final String EMBEDDING_REQUEST = """
            {"model": "all-minilm-l6-v2", "input": ["The food was delicious", "The waiter was friendly"],
             "encoding_format": "float"}""";
    static final String EMBEDDING_RESPONSE = """
            {"object": "list", "model": "all-minilm-l6-v2",
             "data": [{"object": "embedding", "index": 0, "embedding": [0.0123, -0.0456, 0.0789]},
                      {"object": "embedding", "index": 1, "embedding": [0.0321, 0.0654, -0.0987]}],
             "usage": {"prompt_tokens": 12, "total_tokens": 12}}""";
    static final String MODEL_LIST = """
            {"object": "list", "data": [
              {"id": "demo-tiny", "object": "model", "created": 1764115200, "owned_by": "maas"},
              {"id": "demo-tiny-lora", "object": "model", "created": 1764115200, "owned_by": "acme-labs",
               "parent": "demo-tiny"}]}""";
    static final String MODEL = """
            {"id": "demo-tiny-lora", "object": "model", "created": 1764115200, "owned_by": "acme-labs",
             "parent": "demo-tiny"}""";
    static final String ERROR_400 = """
            {"error": {"message": "'max_tokens' must be between 1 and 4096, was 0. (request id req_3f2a)",
                       "type": "invalid_request_error", "param": "max_tokens", "code": "invalid_value"}}""";
    static final String ERROR_404 = """
            {"error": {"message": "The model 'no-such-model' does not exist or you do not have access to it.",
                       "type": "invalid_request_error", "param": "model", "code": "model_not_found"}}""";
    static final String ERROR_413 = """
            {"error": {"message": "The request body is too large: the limit is 1048576 bytes. (request id req_3f2a)",
                       "type": "invalid_request_error", "param": null, "code": "request_too_large"}}""";
    static final String ERROR_429 = """
            {"error": {"message": "Rate limit reached for requests per minute. (request id req_3f2a)",
                       "type": "rate_limit_error", "param": null, "code": "rate_limit_exceeded"}}""";

    private OpenApiExamples() {
    }
}
