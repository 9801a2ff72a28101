import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { MantineProvider, createTheme, type CSSVariablesResolver } from "@mantine/core";
import "@mantine/core/styles.css";
import { App } from "./App";

// Shade 9 and gray 7 for dimmed text: WCAG AA contrast (axe-core checks it in the browser tests).
const theme = createTheme({ primaryColor: "teal", primaryShade: { light: 9, dark: 7 }, defaultRadius: "md" });
const contrast: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    "--mantine-color-dimmed": "var(--mantine-color-gray-7)",
    "--mantine-color-teal-light-color": "var(--mantine-color-teal-9)",
    "--mantine-primary-color-light-color": "var(--mantine-color-teal-9)",
    "--mantine-color-gray-light-color": "var(--mantine-color-gray-8)",
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
