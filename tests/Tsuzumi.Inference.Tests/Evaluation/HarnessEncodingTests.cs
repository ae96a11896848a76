using Tsuzumi.Inference.Evaluation;

namespace Tsuzumi.Inference.Tests.Evaluation;

public sealed class HarnessEncodingTests
{
    private readonly ToyTokenizer tokenizer = new();

    private int[] Ids(params string[] pieces) => pieces.Select(ToyTokenizer.Id).ToArray();

    [Fact]
    public void Trailing_spaces_of_the_context_move_to_the_continuation_so_a_space_merged_piece_is_scored()
    {
        // "q a " + "b": as written, the context would end in a lone " " token; the harness scores " b" instead.
        var pair = HarnessEncoding.EncodePair(tokenizer, "q a ", "b", addBos: false);

        Assert.Equal(Ids("q", " ", "a"), pair.Context);
        Assert.Equal(Ids(" b"), pair.Continuation);
    }

    [Fact]
    public void The_whole_string_is_encoded_once_and_split_at_the_context_token_count()
    {
        // "xa" + "bc" encodes as [x, ab, c]; the context alone is [x, a] (2 tokens), so the continuation is [c]:
        // the merged "ab" counts as context, exactly as lm-evaluation-harness's _encode_pair does.
        var pair = HarnessEncoding.EncodePair(tokenizer, "xa", "bc", addBos: false);

        Assert.Equal(Ids("x", "a"), pair.Context);
        Assert.Equal(Ids("c"), pair.Continuation);
    }

    [Fact]
    public void A_continuation_swallowed_by_a_merge_across_the_boundary_becomes_empty()
    {
        var pair = HarnessEncoding.EncodePair(tokenizer, "xa", "b", addBos: false);

        Assert.Empty(pair.Continuation);
    }

    [Fact]
    public void An_empty_context_conditions_on_bos()
    {
        var pair = HarnessEncoding.EncodePair(tokenizer, "", "cd", addBos: false);

        Assert.Equal([1], pair.Context);
        Assert.Equal(Ids("cd"), pair.Continuation);
    }

    [Fact]
    public void A_whitespace_only_context_is_treated_as_empty_and_keeps_its_whitespace_in_the_continuation()
    {
        var pair = HarnessEncoding.EncodePair(tokenizer, " ", "b", addBos: false);

        Assert.Equal([1], pair.Context);
        Assert.Equal(Ids(" b"), pair.Continuation);
    }

    [Fact]
    public void Add_bos_prefixes_both_encodings_and_leaves_the_continuation_unchanged()
    {
        var without = HarnessEncoding.EncodePair(tokenizer, "q:", " cd", addBos: false);
        var with = HarnessEncoding.EncodePair(tokenizer, "q:", " cd", addBos: true);

        Assert.Equal([1, .. without.Context], with.Context);
        Assert.Equal(without.Continuation, with.Continuation);
        Assert.Equal(Ids(" ", "cd"), with.Continuation);
    }
}
