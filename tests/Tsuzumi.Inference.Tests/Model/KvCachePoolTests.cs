using Tsuzumi.Inference.Model;
using static TorchSharp.torch;
using static Tsuzumi.Inference.Tests.Model.LlamaForCausalLMTests;

namespace Tsuzumi.Inference.Tests.Model;

/// <summary>Decode steps of rows whose caches share a pool attend in one pass; each row must still compute what it does alone.</summary>
public sealed class KvCachePoolTests
{
    [Theory]
    [InlineData(4, 4)]
    [InlineData(4, 2)]
    [InlineData(8, 2)]
    [InlineData(4, 1)]
    public void Pooled_rows_at_different_cache_lengths_decode_together_as_each_does_alone(int heads, int kvHeads)
    {
        using var model = LlamaForCausalLM.Load(SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig(heads, kvHeads)), ScalarType.Float32);
        // 62 + 4 steps crosses the first storage capacity (64) in a batched step; 1 is the shortest a row can be.
        var rows = new[] { Tokens(62 + 4, seed: 1), Tokens(3 + 4, seed: 2), Tokens(1 + 4, seed: 3), Tokens(20 + 4, seed: 4) };
        var expected = rows.Select(tokens => Alone(model, tokens, prompt: tokens.Length - 4)).ToArray();

        using var pool = new KvCachePool(model.Config, ScalarType.Float32);
        var caches = rows.Select(_ => pool.CreateCache()).ToArray();
        var actual = rows.Select(_ => new List<float[]>()).ToArray();
        for (var row = 0; row < rows.Length; row++) Prefill(model, caches[row], rows[row][..^4]);
        for (var step = 4; step > 0; step--)
        {
            using var logits = model.Forward(tensor(rows.Select(tokens => tokens[^step]).ToArray(), new long[] { rows.Length, 1 }), caches);
            for (var row = 0; row < rows.Length; row++) actual[row].Add(Row(logits, row));
        }

        for (var row = 0; row < rows.Length; row++)
        {
            for (var step = 0; step < 4; step++) AssertClose(expected[row][step], actual[row][step], 1e-4f, $"row {row}, step {step}");
        }
        foreach (var cache in caches) cache.Dispose();
    }

    [Fact]
    public void Pooled_rows_at_equal_cache_lengths_decode_together_as_each_does_alone()
    {
        // A fan-out's rows, prefilled together: no padding, so no mask.
        using var model = LlamaForCausalLM.Load(SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig()), ScalarType.Float32);
        var rows = new[] { Tokens(9, seed: 5), Tokens(9, seed: 6), Tokens(9, seed: 7) };
        var expected = rows.Select(tokens => Alone(model, tokens, prompt: 6)).ToArray();

        using var pool = new KvCachePool(model.Config, ScalarType.Float32);
        var caches = rows.Select(_ => pool.CreateCache()).ToArray();
        model.Forward(tensor(rows.SelectMany(tokens => tokens[..6]).ToArray(), new long[] { 3, 6 }), caches).Dispose();
        for (var step = 6; step < 9; step++)
        {
            using var logits = model.Forward(tensor(rows.Select(tokens => tokens[step]).ToArray(), new long[] { 3, 1 }), caches);
            for (var row = 0; row < 3; row++) AssertClose(expected[row][step - 6], Row(logits, row), 1e-4f, $"row {row}, token {step}");
        }
        foreach (var cache in caches) cache.Dispose();
    }

    [Fact]
    public void Rows_joining_and_finishing_mid_run_each_decode_as_they_do_alone()
    {
        using var model = LlamaForCausalLM.Load(SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig(heads: 4, kvHeads: 2)), ScalarType.Float32);
        using var pool = new KvCachePool(model.Config, ScalarType.Float32);
        var running = new List<Sequence>();
        void Join(int seed, int prompt)
        {
            var sequence = new Sequence(Tokens(prompt + 12, seed), prompt, pool.CreateCache());
            Prefill(model, sequence.Cache, sequence.Tokens[..prompt]);
            sequence.Expected = Alone(model, sequence.Tokens, prompt);
            running.Add(sequence);
        }
        void Finish(int index)
        {
            running[index].Cache.Dispose();
            running.RemoveAt(index);
        }
        void Step()
        {
            using var logits = model.Forward(tensor(running.Select(row => row.Tokens[row.Next]).ToArray(), new long[] { running.Count, 1 }),
                running.Select(row => row.Cache).ToArray());
            for (var index = 0; index < running.Count; index++)
            {
                var row = running[index];
                AssertClose(row.Expected[row.Next - row.Prompt], Row(logits, index), 1e-4f, $"sequence with prompt {row.Prompt}, token {row.Next}");
                row.Next++;
            }
        }

        Join(seed: 10, prompt: 5);  // slot 0
        Join(seed: 11, prompt: 9);  // slot 1
        Join(seed: 12, prompt: 2);  // slot 2
        Step();
        Step();
        Finish(1);                  // slots 0, 2: not side by side, gathered
        Step();
        Join(seed: 13, prompt: 7);  // takes freed slot 1 (zeroed): slots 0, 2, 1
        Step();
        Join(seed: 14, prompt: 4);  // slot 3: the storage grows to more slots mid-run
        Step();
        Finish(0);                  // slots 2, 1, 3
        Step();
        Step();
        Assert.Equal(3, pool.Count);
        while (running.Count > 0) Finish(0);
        Assert.Equal(0, pool.Count);
    }

    [Fact]
    public void The_pool_holds_no_tensors_once_its_last_cache_leaves_and_hands_out_its_slots_again()
    {
        using var model = LlamaForCausalLM.Load(SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig()), ScalarType.Float32);
        using var pool = new KvCachePool(model.Config, ScalarType.Float32);
        var liveBefore = TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

        for (var burst = 0; burst < 2; burst++)
        {
            var caches = new[] { pool.CreateCache(), pool.CreateCache(), pool.CreateCache() };
            using (NewDisposeScope()) // the inputs of the forwards
            {
                for (var row = 0; row < 3; row++) Prefill(model, caches[row], Tokens(4 + row, seed: row));
                model.Forward(tensor(new long[] { 7, 8, 9 }, new long[] { 3, 1 }), caches).Dispose();
            }
            Assert.Equal(3, pool.Count);
            // Outside any dispose scope, as the engine releases rows: the first two leave their slots zeroed, the last frees the storage.
            foreach (var cache in caches) cache.Dispose();
            Assert.Equal(0, pool.Count);
            Assert.Equal(liveBefore, TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
        }
    }

    private sealed class Sequence(long[] tokens, int prompt, KvCache cache)
    {
        public long[] Tokens { get; } = tokens;

        public int Prompt { get; } = prompt;

        public KvCache Cache { get; } = cache;

        public int Next { get; set; } = prompt;

        public float[][] Expected { get; set; } = [];
    }

    /// <summary>Logits after each token from <paramref name="prompt"/> on, fed one at a time to a cache of its own.</summary>
    private static float[][] Alone(LlamaForCausalLM model, long[] tokens, int prompt)
    {
        using var cache = model.CreateCache();
        Prefill(model, cache, tokens[..prompt]);
        return tokens[prompt..].Select(token =>
        {
            using var logits = model.Forward(Ids([token]), [cache]);
            return Row(logits, 0);
        }).ToArray();
    }

    private static void Prefill(LlamaForCausalLM model, KvCache cache, long[] prompt) => model.Forward(Ids(prompt), [cache]).Dispose();

    private static long[] Tokens(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (long)random.Next(97)).ToArray();
    }
}
