package io.maas.inference.engine;

import java.util.List;

/**
 * A generated token's log-probability under the model's own distribution (log-softmax of the raw logits over the
 * decodable vocabulary: before penalties, temperature, top-k and top-p), with the most likely alternatives.
 *
 * @param token       the token's text as the tokenizer decodes it alone (special tokens included; a token that is
 *                    only part of a UTF-8 character shows as U+FFFD)
 * @param topLogprobs most likely first (ties: lower id first); empty unless {@code top_logprobs} was set
 */
public record TokenLogprob(int id, String token, double logprob, List<TopLogprob> topLogprobs) {

    public TokenLogprob {
        topLogprobs = List.copyOf(topLogprobs);
    }

    /** One alternative token at the same position. */
    public record TopLogprob(int id, String token, double logprob) {
    }
}
