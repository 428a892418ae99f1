using Tern.Tests.Fixtures;
using System.Text.Json;

namespace Tern.Tests.Pop3;

/// <summary>Python's poplib against a real server: plain on loopback, STLS, and POP3_SSL on pop3s.</summary>
public sealed class Pop3PoplibTests(Pop3ServerFixture fixture) : IClassFixture<Pop3ServerFixture>
{
    const string Script = """
        import json, poplib, ssl, sys
        mode, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if mode == "ssl":
            p = poplib.POP3_SSL("127.0.0.1", port, context=ctx, timeout=15)
        else:
            p = poplib.POP3("127.0.0.1", port, timeout=15)
        out = {"welcome": p.getwelcome().decode()}
        if mode == "stls":
            out["stls"] = p.stls(context=ctx).decode()
        out["capa"] = sorted(p.capa().keys())
        out["user"] = p.user(user).decode()
        out["pass"] = p.pass_(password).decode()
        count, size = p.stat()
        out["stat"] = [count, size]
        resp, listing, _ = p.list()
        out["list"] = [l.decode() for l in listing]
        out["list1"] = p.list(1).decode()
        resp, uidl, _ = p.uidl()
        out["uidl"] = [l.decode() for l in uidl]
        out["uidl1"] = p.uidl(1).decode()
        out["retr"] = []
        for i in range(1, count + 1):
            resp, lines, octets = p.retr(i)
            out["retr"].append({"octets": octets, "lines": [l.decode() for l in lines]})
        resp, lines, octets = p.top(1, 1)
        out["top"] = [l.decode() for l in lines]
        out["noop"] = p.noop().decode()
        out["dele"] = p.dele(1).decode()
        out["rset"] = p.rset().decode()
        out["dele_again"] = p.dele(1).decode()
        try:
            p.retr(1)
            out["retr_deleted"] = "no error"
        except poplib.error_proto as e:
            out["retr_deleted"] = e.args[0].decode()
        out["quit"] = p.quit().decode()
        print(json.dumps(out))
        """;

    [Theory]
    [InlineData("plain")]
    [InlineData("stls")]
    [InlineData("ssl")]
    public async Task Poplib_runs_every_command(string mode)
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        var a = await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("py one", ".dot first\r\nplain\r\n..double\r\n"));
        var b = await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("py two"));
        int port = mode == "ssl" ? fixture.Server.Pop3sPort : fixture.Server.Pop3Port;

        var result = await RunPythonAsync(mode, port, user.Address, Pop3Test.Password);

        Assert.StartsWith("+OK", result.GetProperty("welcome").GetString(), StringComparison.Ordinal);
        var capa = result.GetProperty("capa").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("UIDL", capa);
        Assert.Contains("TOP", capa);
        Assert.Equal(mode == "plain", capa.Contains("STLS"));
        Assert.Equal(2, result.GetProperty("stat")[0].GetInt32());
        Assert.Equal(a.Size + b.Size, result.GetProperty("stat")[1].GetInt64());
        Assert.Equal([$"1 {a.Size}", $"2 {b.Size}"], result.GetProperty("list").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal($"+OK 1 {a.Size}", result.GetProperty("list1").GetString());
        Assert.Equal([$"1 {a.UidValidity}.{a.Uid}", $"2 {b.UidValidity}.{b.Uid}"], result.GetProperty("uidl").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal($"+OK 1 {a.UidValidity}.{a.Uid}", result.GetProperty("uidl1").GetString());

        var retr = result.GetProperty("retr").EnumerateArray().ToList();
        // poplib counts the octets it keeps after removing the stuffing: exactly LIST's size.
        Assert.Equal(a.Size, retr[0].GetProperty("octets").GetInt64());
        Assert.Equal(b.Size, retr[1].GetProperty("octets").GetInt64());
        var lines = retr[0].GetProperty("lines").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal([".dot first", "plain", "..double"], lines[^3..]);
        Assert.Equal(".dot first", result.GetProperty("top").EnumerateArray().Last().GetString());
        Assert.StartsWith("-ERR message 1 already deleted", result.GetProperty("retr_deleted").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("+OK", result.GetProperty("quit").GetString(), StringComparison.Ordinal);

        var left = await Pop3Test.InboxAsync(fixture.Server, user);
        Assert.Equal([b.Uid], left.Select(m => m.Uid));
        Assert.True((left[0].Flags & Tern.Store.MessageFlags.Seen) != 0);
    }

    static async Task<JsonElement> RunPythonAsync(params object[] args) =>
        JsonDocument.Parse(await PythonScript.RunCheckedAsync(Script, args)).RootElement;
}
