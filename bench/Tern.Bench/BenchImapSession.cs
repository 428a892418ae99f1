using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Tern.Bench;

/// <summary>The tagged response of one IMAP command and the untagged lines before it (literals skipped).</summary>
public sealed record BenchImapResponse(string Status, string Text, IReadOnlyList<string> Untagged)
{
    public bool Ok => Status == "OK";
}

/// <summary>A minimal IMAP4rev1 client session for the load generator (RFC 3501): tagged commands, literals in
/// responses counted and skipped, APPEND with a synchronising literal.</summary>
public sealed partial class BenchImapSession : IAsyncDisposable
{
    readonly BenchLineClient client;
    int tagNumber;

    BenchImapSession(BenchLineClient client) => this.client = client;

    public string Capabilities { get; private set; } = "";
    public long Exists { get; private set; }
    public long UidNext { get; private set; }

    public static async Task<BenchImapSession> LoginAsync(BenchTarget target, CancellationToken cancellationToken)
    {
        var client = await BenchLineClient.ConnectAsync(target.Host, target.Port, cancellationToken);
        var session = new BenchImapSession(client);
        try
        {
            var greeting = await client.ReadLineAsync(cancellationToken);
            if (!greeting.StartsWith("* OK", StringComparison.Ordinal))
                throw new InvalidOperationException($"IMAP greeting: {greeting}");
            var login = await session.CommandAsync($"LOGIN {Quote(target.User)} {Quote(target.Password)}", cancellationToken);
            if (!login.Ok)
                throw new InvalidOperationException($"IMAP LOGIN: {login.Status} {login.Text}");
            var capability = await session.CommandAsync("CAPABILITY", cancellationToken);
            session.Capabilities = string.Join(' ', capability.Untagged.Where(l => l.StartsWith("CAPABILITY", StringComparison.OrdinalIgnoreCase)));
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    public bool Has(string capability) =>
        Capabilities.Split(' ').Any(c => c.Equals(capability, StringComparison.OrdinalIgnoreCase));

    static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    string NextTag() => "b" + (++tagNumber).ToString(CultureInfo.InvariantCulture);

    public async Task<BenchImapResponse> SelectAsync(string mailbox, CancellationToken cancellationToken)
    {
        var response = await CommandAsync($"SELECT {Quote(mailbox)}", cancellationToken);
        if (!response.Ok)
            throw new InvalidOperationException($"IMAP SELECT: {response.Status} {response.Text}");
        foreach (var line in response.Untagged)
        {
            var exists = ExistsPattern().Match(line);
            if (exists.Success)
                Exists = long.Parse(exists.Groups[1].Value, CultureInfo.InvariantCulture);
            var next = UidNextPattern().Match(line);
            if (next.Success)
                UidNext = long.Parse(next.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        return response;
    }

    /// <summary>Sends one command and reads up to its tagged response.</summary>
    public async Task<BenchImapResponse> CommandAsync(string command, CancellationToken cancellationToken)
    {
        var tag = NextTag();
        await client.WriteAsync($"{tag} {command}\r\n", cancellationToken);
        return await ReadResponseAsync(tag, cancellationToken);
    }

    /// <summary>APPEND with a synchronising literal: waits for the server's "+" before the message (RFC 3501 7.5).</summary>
    /// <returns>The response and the new message's UID from APPENDUID (RFC 4315), or 0 without UIDPLUS.</returns>
    public async Task<(BenchImapResponse Response, long Uid)> AppendAsync(string mailbox, byte[] message, CancellationToken cancellationToken)
    {
        var tag = NextTag();
        await client.WriteAsync($"{tag} APPEND {Quote(mailbox)} {{{message.Length}}}\r\n", cancellationToken);
        var go = await client.ReadLineAsync(cancellationToken);
        if (!go.StartsWith('+'))
            throw new InvalidOperationException($"IMAP APPEND refused the literal: {go}");
        await client.WriteAsync(message, cancellationToken);
        await client.WriteAsync("\r\n", cancellationToken);
        var response = await ReadResponseAsync(tag, cancellationToken);
        var uid = AppendUidPattern().Match(response.Text);
        return (response, uid.Success ? long.Parse(uid.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
    }

    /// <summary>IDLE (RFC 2177): returns once the server has sent its continuation.</summary>
    public async Task<string> StartIdleAsync(CancellationToken cancellationToken)
    {
        var tag = NextTag();
        await client.WriteAsync($"{tag} IDLE\r\n", cancellationToken);
        while (true)
        {
            var line = await client.ReadLineAsync(cancellationToken);
            if (line.StartsWith('+'))
                return tag;
            if (line.StartsWith(tag + " ", StringComparison.Ordinal))
                throw new InvalidOperationException($"IMAP IDLE: {line[(tag.Length + 1)..]}");
        }
    }

    public async Task StopIdleAsync(string tag, CancellationToken cancellationToken)
    {
        await client.WriteAsync("DONE\r\n", cancellationToken);
        await ReadResponseAsync(tag, cancellationToken);
    }

    async Task<BenchImapResponse> ReadResponseAsync(string tag, CancellationToken cancellationToken)
    {
        var untagged = new List<string>();
        var current = new StringBuilder();
        while (true)
        {
            var line = await client.ReadLineAsync(cancellationToken);
            var literal = LiteralPattern().Match(line);
            if (literal.Success)
            {
                // RFC 3501 4.3: "{n}" CRLF then n octets; the response goes on after them.
                current.Append(line, 0, literal.Index).Append("{}");
                await client.SkipAsync(long.Parse(literal.Groups[1].Value, CultureInfo.InvariantCulture), cancellationToken);
                continue;
            }
            current.Append(line);
            var full = current.ToString();
            current.Clear();
            if (full.StartsWith("* ", StringComparison.Ordinal))
            {
                untagged.Add(full[2..]);
                continue;
            }
            if (full.StartsWith(tag + " ", StringComparison.Ordinal))
            {
                var rest = full[(tag.Length + 1)..];
                int space = rest.IndexOf(' ');
                return space < 0
                    ? new BenchImapResponse(rest.ToUpperInvariant(), "", untagged)
                    : new BenchImapResponse(rest[..space].ToUpperInvariant(), rest[(space + 1)..], untagged);
            }
            if (full.StartsWith('+'))
                throw new InvalidOperationException($"unexpected continuation: {full}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await CommandAsync("LOGOUT", cts.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
        }
        await client.DisposeAsync();
    }

    [GeneratedRegex(@"\{(\d+)\+?\}$")]
    private static partial Regex LiteralPattern();

    [GeneratedRegex(@"^(\d+) EXISTS", RegexOptions.IgnoreCase)]
    private static partial Regex ExistsPattern();

    [GeneratedRegex(@"\[UIDNEXT (\d+)\]", RegexOptions.IgnoreCase)]
    private static partial Regex UidNextPattern();

    [GeneratedRegex(@"\[APPENDUID \d+ (\d+)\]", RegexOptions.IgnoreCase)]
    private static partial Regex AppendUidPattern();
}
