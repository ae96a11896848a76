using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Tests.Tokenization;

public sealed class ChatTemplateTests : IDisposable
{
    private readonly SyntheticTokenizerFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static readonly Message[] Conversation =
    [
        Message.System("You are helpful."),
        Message.User("Hi!"),
        Message.Assistant("Hello."),
        Message.User("日本の首都は？"),
    ];

    [Fact]
    public void Llama2_folds_the_system_prompt_into_the_first_instruction()
    {
        Assert.Equal(
            "<s>[INST] <<SYS>>\nYou are helpful.\n<</SYS>>\n\nHi! [/INST] Hello. </s><s>[INST] 日本の首都は？ [/INST]",
            ChatTemplate.For(ChatFormat.Llama2).Render(Conversation));
    }

    [Fact]
    public void Llama3_wraps_each_turn_in_headers_and_opens_the_assistant_turn()
    {
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\n日本の首都は？<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatTemplate.For(ChatFormat.Llama3).Render(Conversation));
    }

    [Fact]
    public void ChatML_ends_with_the_assistant_prompt_only_when_asked()
    {
        var template = ChatTemplate.For(ChatFormat.ChatML);
        const string turns = "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                           + "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\n日本の首都は？<|im_end|>\n";
        Assert.Equal(turns + "<|im_start|>assistant\n", template.Render(Conversation));
        Assert.Equal(turns, template.Render(Conversation, addGenerationPrompt: false));
    }

    [Fact]
    public void Plain_joins_the_contents_for_completion()
    {
        Assert.Equal("Once upon a time", ChatTemplate.For(ChatFormat.Plain).Render([Message.User("Once upon a time")]));
        Assert.Equal("You are helpful.\nHi!\nHello.\n日本の首都は？", ChatTemplate.For(ChatFormat.Plain).Render(Conversation));
    }

    [Fact]
    public void Question_answer_layout_matches_the_pretraining_documents_and_leaves_out_the_system_prompt()
    {
        var template = ChatTemplate.ForName("qa");

        Assert.Equal("Q: Hi!\nA: Hello.\nQ: 日本の首都は？\nA:", template.Render(Conversation));
        Assert.Equal("Q: Hi!\nA: Hello.", template.Render(Conversation[..3], addGenerationPrompt: false));
        Assert.True(template.UsesModelBos);
        Assert.True(template.EndsTurnsWithEos);
        Assert.False(ChatTemplate.For(ChatFormat.ChatML).EndsTurnsWithEos);
    }

    [Theory]
    [InlineData("{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}", ChatFormat.Llama3)]
    [InlineData("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'}}{% endfor %}", ChatFormat.ChatML)]
    [InlineData("{{ bos_token + '[INST] ' + content + ' [/INST]' }}", ChatFormat.Llama2)]
    [InlineData("{{ messages[0]['content'] }}", ChatFormat.Plain)]
    public void The_format_is_recognised_from_the_template_text(string jinja, ChatFormat expected)
    {
        var tokenizer = TokenizerJson.Load(_files.Write("llama2-like.json", SyntheticTokenizerFiles.ByteFallbackBpe()));
        Assert.Equal(expected, ChatTemplate.Detect(jinja, tokenizer).Format);
    }

    [Fact]
    public void Without_a_template_the_vocabularys_chat_markers_decide_and_an_override_wins()
    {
        var chatMl = TokenizerJson.Load(_files.Write("qwen2-like.json", SyntheticTokenizerFiles.ByteLevelBpe()));
        Assert.Equal(ChatFormat.ChatML, ChatTemplate.Detect(null, chatMl).Format);
        Assert.Equal(ChatFormat.Llama2, ChatTemplate.Detect(null, chatMl, overrideName: "llama2").Format);
        Assert.Throws<ArgumentException>(() => ChatTemplate.ForName("alpaca"));
    }

    [Fact]
    public void Rendered_chatml_encodes_its_markers_as_single_tokens_and_names_the_end_of_turn()
    {
        var tokenizer = TokenizerJson.Load(_files.Write("qwen2-like.json", SyntheticTokenizerFiles.ByteLevelBpe()));
        var template = ChatTemplate.Detect(null, tokenizer);
        var ids = tokenizer.Encode(template.Render([Message.User("hello")]), addSpecialTokens: false, parseSpecialTokens: true);

        Assert.Equal(2, ids.Count(id => id == 265));
        Assert.Equal(1, ids.Count(id => id == 266));
        Assert.Contains(266, template.EndOfTurnIds(tokenizer));
    }
}
