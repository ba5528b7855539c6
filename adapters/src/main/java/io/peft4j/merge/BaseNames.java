package io.peft4j.merge;

import java.util.List;
import java.util.Set;

/**
 * Finds the base checkpoint tensor an adapter tensor belongs to. Adapter module names are taken
 * relative to the model PEFT wrapped (a task model such as {@code GPT2LMHeadModel}), while a
 * checkpoint may hold the bare model ({@code GPT2Model}: {@code h.0...} instead of
 * {@code transformer.h.0...}), or the other way round. The rule: the exact name; else the one base
 * name that equals it up to a leading prefix in either direction; else a refusal naming the tensor.
 */
final class BaseNames {

    private BaseNames() {}

    /**
     * The base tensor name for {@code wanted}.
     *
     * @param what describes the adapter tensor in the error message (e.g. the adapter directory)
     * @throws MergeException when no base tensor or more than one matches
     */
    static String resolve(String wanted, Set<String> baseNames, String what) {
        if (baseNames.contains(wanted)) {
            return wanted;
        }
        List<String> candidates = baseNames.stream()
                .filter(n -> n.endsWith("." + wanted) || wanted.endsWith("." + n))
                .toList();
        if (candidates.size() == 1) {
            return candidates.getFirst();
        }
        if (candidates.isEmpty()) {
            throw new MergeException(what + ": targets " + wanted + ", which is not in the base model"
                    + " (an adapter for another model?)");
        }
        throw new MergeException(what + ": " + wanted + " matches several base tensors " + candidates);
    }
}
