using Tern.Tests.Net;

namespace Tern.Tests.Imap;

/// <summary>A raw IMAP client for recorded-dialog tests: numbered tags, the untagged lines and the tagged line of
/// each command.</summary>
sealed class ImapDialog : IAsyncDisposable
{
    int next = 1;

    ImapDialog(LineClient client, string greeting)
    {
        Client = client;
        Greeting = greeting;
    }

    public LineClient Client { get; }
    public string Greeting { get; }

    public static async Task<ImapDialog> ConnectAsync(int port, bool implicitTls = false)
    {
        var client = await LineClient.ConnectAsync(port, implicitTls);
        var greeting = await client.ReadLineAsync() ?? throw new InvalidOperationException("no greeting");
        return new ImapDialog(client, greeting);
    }

    /// <summary>Sends "tN command" and reads to the tagged response.</summary>
    public async Task<Reply> CommandAsync(string command)
    {
        var tag = "t" + next++;
        await Client.SendLineAsync(tag + " " + command);
        return await ReadUntilTaggedAsync(tag);
    }

    public async Task<Reply> ReadUntilTaggedAsync(string tag)
    {
        var untagged = new List<string>();
        while (true)
        {
            var line = await Client.ReadLineAsync() ?? throw new InvalidOperationException(
                "connection closed; got: " + string.Join(" | ", untagged));
            if (line.StartsWith(tag + " ", StringComparison.Ordinal))
                return new Reply(untagged, line[(tag.Length + 1)..]);
            untagged.Add(line);
        }
    }

    public async Task LoginAsync(string user, string password = "secret-password")
    {
        var r = await CommandAsync($"LOGIN \"{user}\" \"{password}\"");
        Assert.StartsWith("OK", r.Tagged);
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();

    public sealed record Reply(List<string> Untagged, string Tagged)
    {
        public bool Ok => Tagged.StartsWith("OK", StringComparison.Ordinal);
        public string All => string.Join("\n", Untagged);
    }
}
