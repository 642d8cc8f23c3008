package io.maas.inference.engine;

import io.maas.inference.InvalidGenerationParameterException;

import java.util.Set;

/** One turn of a chat conversation, as OpenAI's {@code messages[]}: a role (system, user, assistant) and text. */
public record ChatMessage(String role, String content) {

    public static final Set<String> ROLES = Set.of("system", "user", "assistant");

    public ChatMessage {
        if (role == null || !ROLES.contains(role)) {
            throw new InvalidGenerationParameterException("messages",
                    "message role must be one of system, user, assistant; was " + role);
        }
        if (content == null) {
            throw new InvalidGenerationParameterException("messages", "message content must not be null");
        }
    }
}
