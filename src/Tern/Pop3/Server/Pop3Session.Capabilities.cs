using Tern.Pop3.Protocol;

namespace Tern.Pop3.Server;

/// <summary>CAPA (RFC 2449) and STLS (RFC 2595).</summary>
sealed partial class Pop3Session
{
    /// <summary>RFC 2449 5: the capabilities valid now. USER, SASL and STLS are AUTHORIZATION-state capabilities
    /// and are left out after login; USER and SASL only appear where clear-text passwords are allowed.</summary>
    internal async Task CapaAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        BeginMultiLine(Pop3Reply.Ok("capability list follows"));
        foreach (var capability in Capabilities())
            Pop3Reply.WriteLine(connection.Output, capability);
        await EndMultiLineAsync(cancellationToken);
    }

    internal IEnumerable<string> Capabilities()
    {
        yield return "TOP";
        yield return "UIDL";
        yield return "RESP-CODES";
        // RFC 3206 6: failed logins carry [AUTH] or [SYS/...] codes.
        yield return "AUTH-RESP-CODE";
        yield return "PIPELINING";
        if (state == Pop3State.Authorization)
        {
            if (PlaintextAllowed)
            {
                yield return "USER";
                yield return "SASL " + string.Join(' ', Mechanisms());
            }
            if (!connection.IsSecure)
                yield return "STLS";
        }
        yield return "IMPLEMENTATION Tern";
    }

    /// <summary>RFC 2595 4: STLS only in AUTHORIZATION and only once. The connection layer throws away whatever the
    /// client pipelined behind the command before the handshake (RFC 2595 4, CVE-2011-0411).</summary>
    internal async Task StlsAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        if (command.Arguments.Length != 0)
            throw new Pop3CommandException("usage: STLS");
        if (connection.IsSecure)
            throw new Pop3CommandException("TLS is already active");
        if (!await connection.StartTlsAsync(Pop3Reply.Ok("begin TLS negotiation"), cancellationToken))
        {
            closing = true;
            return;
        }
        // Nothing learnt before TLS carries over (RFC 2595 4): a USER sent before STLS must be sent again.
        pendingUser = null;
    }
}
