using System.Globalization;
using System.Text;

namespace Tsuzumi.Inference.Training;

/// <summary>
/// Renders the loss curve as a small standalone SVG (train loss per step, eval loss per epoch). Hand-written: a
/// plotting library would be the only reason to pull a graphics stack into the runtime.
/// </summary>
public static class LossCurve
{
    public static string ToSvg(IReadOnlyList<LossPoint> train, IReadOnlyList<LossPoint> eval, string title)
    {
        const int width = 640, height = 360, left = 56, right = 16, top = 32, bottom = 40;
        var all = train.Concat(eval).ToArray();
        var maxStep = Math.Max(1, all.Select(point => point.Step).DefaultIfEmpty(1).Max());
        var maxLoss = all.Select(point => point.Loss).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        var minLoss = Math.Min(0, all.Select(point => point.Loss).Where(double.IsFinite).DefaultIfEmpty(0).Min());
        if (maxLoss <= minLoss) maxLoss = minLoss + 1;
        string X(double step) => (left + (width - left - right) * step / maxStep).ToString("F1", CultureInfo.InvariantCulture);
        string Y(double loss) => (top + (height - top - bottom) * (1 - (loss - minLoss) / (maxLoss - minLoss))).ToString("F1", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"20\" font-size=\"14\">{System.Security.SecurityElement.Escape(title)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - right}\" y2=\"{height - bottom}\" stroke=\"black\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"black\"/>\n");
        for (var tick = 0; tick <= 4; tick++)
        {
            var loss = minLoss + (maxLoss - minLoss) * tick / 4;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{Y(loss)}\">{loss:F2}</text>\n");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"{height - 8}\">step (0–{maxStep})</text>\n");
        if (train.Count > 0)
        {
            svg.Append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
            svg.AppendJoin(' ', train.Where(point => double.IsFinite(point.Loss)).Select(point => $"{X(point.Step)},{Y(point.Loss)}"));
            svg.Append("\"/>\n");
        }
        foreach (var point in eval.Where(point => double.IsFinite(point.Loss)))
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(point.Step)}\" cy=\"{Y(point.Loss)}\" r=\"4\" fill=\"#d62728\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width - 200}\" y=\"20\" fill=\"#1f77b4\">— train loss</text><text x=\"{width - 100}\" y=\"20\" fill=\"#d62728\">● eval loss</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }
}
