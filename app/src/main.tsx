import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import {
  MantineProvider,
  createTheme,
  darken,
  defaultVariantColorsResolver,
  parseThemeColor,
  type CSSVariablesResolver,
  type VariantColorsResolver,
} from "@mantine/core";
import "@mantine/core/styles.css";
import { App } from "./App";

// Shade 9 and gray 7 for dimmed text: WCAG AA contrast (axe-core checks it in the browser tests).
// Light variants (badges, alerts, light buttons): text in shade 9 on shade 0 of their color;
// filled ones hover darker.
const variantColorResolver: VariantColorsResolver = (input) => {
  const colors = defaultVariantColorsResolver(input);
  const parsed = parseThemeColor({ color: input.color ?? input.theme.primaryColor, theme: input.theme });
  if (!parsed.isThemeColor || !parsed.color) return colors;
  if (input.variant === "filled") {
    // Hover darker than shade 9, not lighter: white text keeps its contrast.
    return { ...colors, hover: darken(input.theme.colors[parsed.color][9], 0.15) };
  }
  if (input.variant !== "light") return colors;
  const text = `var(--mantine-color-${parsed.color}-9)`;
  const background = `var(--mantine-color-${parsed.color}-0)`;
  return { ...colors, color: text, hoverColor: text, background, hover: `var(--mantine-color-${parsed.color}-1)` };
};
const theme = createTheme({ primaryColor: "teal", primaryShade: { light: 9, dark: 7 }, defaultRadius: "md", variantColorResolver });
const contrast: CSSVariablesResolver = (t) => ({
  variables: {},
  light: {
    // Filled buttons hover darker than shade 9 (Mantine's default hover is lighter: white text loses contrast).
    "--mantine-primary-color-filled-hover": darken(t.colors.teal[9], 0.15),
    "--mantine-color-teal-filled-hover": darken(t.colors.teal[9], 0.15),
    "--mantine-color-red-filled-hover": darken(t.colors.red[9], 0.15),
    "--mantine-color-dimmed": "var(--mantine-color-gray-7)",
    "--mantine-color-teal-light-color": "var(--mantine-color-teal-9)",
    "--mantine-primary-color-light-color": "var(--mantine-color-teal-9)",
    "--mantine-color-gray-light-color": "var(--mantine-color-gray-8)",
    "--mantine-color-red-light-color": "var(--mantine-color-red-9)",
    "--mantine-color-yellow-light-color": "var(--mantine-color-yellow-9)",
    "--mantine-color-orange-light-color": "var(--mantine-color-orange-9)",
  },
  dark: {},
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light" cssVariablesResolver={contrast}>
      <App />
    </MantineProvider>
  </StrictMode>,
);
