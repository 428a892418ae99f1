using System.Reflection;

namespace Tern.Tests.Architecture;

public sealed class LayeringTests
{
    /// <summary>The services and the connection layer: a protocol parser knows none of them.</summary>
    static readonly string[] DomainNamespaces = ["Tern.Store", "Tern.Queue", "Tern.Delivery", "Tern.Accounts", "Tern.Net"];

    /// <summary>docs/ARCHITECTURE.md: a protocol parser is pure, testable without sockets or services.</summary>
    [Fact]
    public void Protocol_namespaces_do_not_use_domain_services()
    {
        var assembly = typeof(Tern.Configuration.TernOptions).Assembly;
        var offenders = new List<string>();
        foreach (var type in assembly.GetTypes().Where(t => t.Namespace?.EndsWith(".Protocol", StringComparison.Ordinal) == true))
        {
            var used = type.GetFields(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic).Select(f => f.FieldType)
                .Concat(type.GetProperties(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic).Select(p => p.PropertyType))
                .Concat(type.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                    .SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType)))
                .Concat(type.GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).SelectMany(c => c.GetParameters().Select(p => p.ParameterType)));
            foreach (var t in used.SelectMany(Flatten))
            {
                if (t.Namespace is { } ns && DomainNamespaces.Any(d => ns == d || ns.StartsWith(d + ".", StringComparison.Ordinal)))
                    offenders.Add($"{type.FullName} uses {t.FullName}");
            }
        }
        Assert.Empty(offenders);
    }

    [Fact]
    public void Protocol_sources_do_not_import_domain_namespaces()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tern.sln")))
            dir = dir.Parent;
        Assert.NotNull(dir);
        var offenders = Directory.EnumerateFiles(Path.Combine(dir.FullName, "src", "Tern"), "*.cs", SearchOption.AllDirectories)
            .Where(f => f.Split(Path.DirectorySeparatorChar).Contains("Protocol"))
            .Where(f => File.ReadLines(f).Any(line => DomainNamespaces.Any(d => line.Contains(d, StringComparison.Ordinal))))
            .ToList();
        Assert.Empty(offenders);
    }

    static IEnumerable<Type> Flatten(Type t)
    {
        yield return t;
        if (t.HasElementType)
            foreach (var e in Flatten(t.GetElementType()!)) yield return e;
        if (t.IsGenericType)
            foreach (var a in t.GetGenericArguments().SelectMany(Flatten)) yield return a;
    }
}
