using System.Collections.Frozen;
using Tern.Pop3.Protocol;

namespace Tern.Pop3.Server;

/// <summary>Which command is valid in which state, in one place (RFC 1939 4-7, RFC 2449 5, RFC 2595 4, RFC 5034 4).</summary>
static class Pop3CommandTable
{
    public delegate Task Handler(Pop3Session session, Pop3Command command, CancellationToken cancellationToken);

    public sealed record Entry(Pop3State States, Handler Run);

    const Pop3State Auth = Pop3State.Authorization;
    const Pop3State Trans = Pop3State.Transaction;

    public static readonly FrozenDictionary<string, Entry> Commands = new Dictionary<string, Entry>
    {
        // RFC 2449 5: CAPA is valid in AUTHORIZATION and TRANSACTION.
        ["CAPA"] = new(Auth | Trans, (s, c, t) => s.CapaAsync(c, t)),
        ["QUIT"] = new(Auth | Trans, (s, c, t) => s.QuitAsync(c, t)),
        ["USER"] = new(Auth, (s, c, t) => s.UserAsync(c, t)),
        ["PASS"] = new(Auth, (s, c, t) => s.PassAsync(c, t)),
        ["AUTH"] = new(Auth, (s, c, t) => s.AuthAsync(c, t)),
        ["STLS"] = new(Auth, (s, c, t) => s.StlsAsync(c, t)),
        ["STAT"] = new(Trans, (s, c, t) => s.StatAsync(c, t)),
        ["LIST"] = new(Trans, (s, c, t) => s.ListAsync(c, t)),
        ["UIDL"] = new(Trans, (s, c, t) => s.UidlAsync(c, t)),
        ["RETR"] = new(Trans, (s, c, t) => s.RetrAsync(c, t)),
        ["TOP"] = new(Trans, (s, c, t) => s.TopAsync(c, t)),
        ["DELE"] = new(Trans, (s, c, t) => s.DeleAsync(c, t)),
        ["NOOP"] = new(Trans, (s, c, t) => s.NoopAsync(c, t)),
        ["RSET"] = new(Trans, (s, c, t) => s.RsetAsync(c, t)),
    }.ToFrozenDictionary(StringComparer.Ordinal);
}
