using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SochDb.Isolated.Sample;
using SochDb.Isolated.Supervisor.Diagnostics;

// A minimal service that embeds the supervisor the way any .NET service would: plugins declared in appsettings.json
// (section "SochDbIsolated"), loaded by the hosted service, a console workload that calls them once they are ready,
// and the supervisor's metrics (and, with --Sample:Traces=true, its spans) through OpenTelemetry's console exporter.
//   dotnet run --project samples/SochDb.Isolated.Sample -- --Sample:Calls=500 --Sample:Traces=true
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,

    // Manifest paths in appsettings.json are relative to the application, wherever it is started from.
    ContentRootPath = AppContext.BaseDirectory,
});
var sample = builder.Configuration.GetSection("Sample").Get<SampleOptions>() ?? new SampleOptions();
builder.Services.Configure<SampleOptions>(builder.Configuration.GetSection("Sample"));
builder.Services.AddIsolatedPlugins(builder.Configuration);
builder.Services.AddHealthChecks().AddIsolatedPluginsHealthCheck();

var telemetry = builder.Services.AddOpenTelemetry()
    .WithMetrics(metrics => metrics
        .AddMeter(IsolatedPluginsTelemetry.MeterName)

        // The console exporter prints on this interval and once more when the host stops.
        .AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)(sample.MetricsIntervalSeconds * 1000)));
if (sample.Traces)
{
    telemetry.WithTracing(tracing => tracing.AddSource(IsolatedPluginsTelemetry.ActivitySourceName).AddConsoleExporter());
}

builder.Services.AddHostedService<PluginWorkload>();

using var host = builder.Build();
await host.RunAsync();
return Environment.ExitCode;
