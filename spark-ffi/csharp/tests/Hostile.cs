// Hostile model replies through the C# wrapper under Mono (issue 9), run by scripts/test-hostile.sh
// against tests/hostile/mock.py.
//
//   mono Hostile.exe SPECS BASE_URL CAP_SECONDS [SCENARIO...]
//
// SPECS is the flattened tests/hostile/scenarios.json the script writes (see spark-ffi/tests/hostile.c).
// Each scenario runs in a child `mono Hostile.exe --child ...` process, so a crash of the runtime is
// a reported failure; a child running past CAP_SECONDS is killed. Prints one line per scenario on
// stdout (nothing on stderr) and exits 1 when any check fails.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Spark;

static class Hostile
{
    static long totalMs, sleepMs, maxCpuMs;
    static string configTemplate;
    static readonly List<KeyValuePair<string, string[]>> Scenarios = new List<KeyValuePair<string, string[]>>();

    static void ReadSpecs(string path)
    {
        string[] lines = File.ReadAllLines(path, Encoding.UTF8);
        long[] head = lines[0].Split(' ').Select(long.Parse).ToArray();
        totalMs = head[0];
        sleepMs = head[1];
        maxCpuMs = head[2];
        configTemplate = lines[1];
        foreach (string line in lines.Skip(2))
        {
            string[] parts = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2) Scenarios.Add(new KeyValuePair<string, string[]>(parts[0], parts[1].Split(',')));
        }
    }

    // CPU time of the whole process (every thread) from /proc/self/stat, in milliseconds.
    static double CpuMs()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        string[] f = stat.Substring(stat.LastIndexOf(')') + 2).Split(' ');
        // utime and stime are fields 14 and 15 of the line, 11 and 12 after the command name.
        return (long.Parse(f[11]) + long.Parse(f[12])) * 10.0;
    }

    static bool UnsafePath(string p)
    {
        if (string.IsNullOrEmpty(p) || p[0] == '/' || p[0] == '\\' || (p.Length > 1 && p[1] == ':')) return true;
        if (p.Replace('\\', '/').Split('/').Any(s => s == ".." || s.Length == 0)) return true;
        return p.Any(c => char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format);
    }

    static int RunChild(string baseUrl, string name)
    {
        string config = configTemplate.Replace("@BASE@", baseUrl).Replace("@SCENARIO@", name);
        string outcome;
        int unsafePaths = 0;
        var watch = Stopwatch.StartNew();
        using (var client = new SparkClient(config))
        {
            watch.Restart();
            try
            {
                GeneratedScripts result = client.Generate(new GenerateRequest("a player controller") { Model = name, NoCache = true });
                outcome = "result";
                unsafePaths = result.Files.Count(f => UnsafePath(f.Path));
            }
            catch (SparkException e)
            {
                outcome = e.Code;
            }
            catch (Exception e)
            {
                outcome = "untyped:" + e.GetType().Name;
            }
        }
        double elapsed = watch.Elapsed.TotalMilliseconds;
        double cpu = CpuMs();
        Thread.Sleep((int)sleepMs);
        double cpuAfter = CpuMs() - cpu;
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "HOSTILE-REPORT {0} {1:F0} {2:F0} {3}",
            outcome, elapsed, cpuAfter, unsafePaths));
        Console.Out.Flush();
        return 0;
    }

    static bool RunScenario(string specs, string baseUrl, string name, string[] expect, double capS)
    {
        string exe = typeof(Hostile).Assembly.Location;
        var info = new ProcessStartInfo("mono", "--debug \"" + exe + "\" --child \"" + specs + "\" " + baseUrl + " " + name)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var problems = new List<string>();
        var watch = Stopwatch.StartNew();
        using (var proc = new Process { StartInfo = info })
        {
            proc.OutputDataReceived += (s, e) => { if (e.Data != null) lock (stdout) stdout.AppendLine(e.Data); };
            proc.ErrorDataReceived += (s, e) => { if (e.Data != null) lock (stderr) stderr.AppendLine(e.Data); };
            proc.Start();
            proc.BeginOutputReadLine();
            proc.BeginErrorReadLine();
            if (!proc.WaitForExit((int)(capS * 1000)))
            {
                proc.Kill();
                proc.WaitForExit();
                problems.Add(string.Format("still running after {0:F0} s (killed)", capS));
            }
            else
            {
                proc.WaitForExit(); // drains the redirected streams
                if (proc.ExitCode != 0)
                    problems.Add(string.Format("child exit status {0} after {1:F1} s{2}", proc.ExitCode,
                        watch.Elapsed.TotalSeconds, proc.ExitCode > 128 ? " (signal " + (proc.ExitCode - 128) + ")" : ""));
            }
        }
        string err;
        lock (stderr) err = stderr.ToString();
        if (err.Length > 0)
            problems.Add("stderr not empty" + (err.Contains("panicked") ? " (a panic)" : "") + ": " +
                (err.Length > 300 ? err.Substring(0, 300) : err).Replace("\n", "\\n"));
        string report;
        lock (stdout) report = stdout.ToString().Split('\n').LastOrDefault(l => l.StartsWith("HOSTILE-REPORT "));
        string outcome = "?";
        double elapsed = 0;
        if (report == null)
        {
            problems.Add("no report");
        }
        else
        {
            string[] f = report.Trim().Split(' ');
            outcome = f[1];
            elapsed = double.Parse(f[2], CultureInfo.InvariantCulture);
            double cpuAfter = double.Parse(f[3], CultureInfo.InvariantCulture);
            int unsafePaths = int.Parse(f[4], CultureInfo.InvariantCulture);
            if (!expect.Contains(outcome)) problems.Add("outcome " + outcome + ", expected " + string.Join(",", expect));
            if (elapsed > totalMs * 1.1) problems.Add(string.Format("took {0:F0} ms > {1:F0} ms", elapsed, totalMs * 1.1));
            if (cpuAfter >= maxCpuMs)
                problems.Add(string.Format("{0:F0} ms of CPU in the {1} ms after the call", cpuAfter, sleepMs));
            if (unsafePaths > 0) problems.Add(unsafePaths + " unsafe result paths");
        }
        if (problems.Count > 0)
            Console.WriteLine(string.Format("FAIL {0}: {1} [{2} in {3:F0} ms]", name, string.Join("; ", problems), outcome, elapsed));
        else Console.WriteLine(string.Format("ok   {0} ({1} in {2:F0} ms)", name, outcome, elapsed));
        return problems.Count == 0;
    }

    static int Main(string[] args)
    {
        if (args.Length >= 4 && args[0] == "--child")
        {
            ReadSpecs(args[1]);
            return RunChild(args[2], args[3]);
        }
        if (args.Length < 3)
        {
            Console.WriteLine("usage: mono Hostile.exe SPECS BASE_URL CAP_SECONDS [SCENARIO...]");
            return 2;
        }
        ReadSpecs(args[0]);
        double capS = double.Parse(args[2], CultureInfo.InvariantCulture);
        var only = new HashSet<string>(args.Skip(3));
        int ran = 0, failed = 0;
        foreach (var s in Scenarios)
        {
            if (only.Count > 0 && !only.Contains(s.Key)) continue;
            ran++;
            if (!RunScenario(args[0], args[1], s.Key, s.Value, capS)) failed++;
        }
        Console.WriteLine(string.Format("{0} scenarios, {1} passed, {2} failed", ran, ran - failed, failed));
        return failed > 0 || ran == 0 ? 1 : 0;
    }
}
