import { isThemeChoice, setThemeChoice, useThemeChoice } from './theme';

/** Picks the theme: the system setting (the default), light or dark; remembered in this browser. */
export function ThemeSwitch() {
  const choice = useThemeChoice();
  return (
    <select
      className="input theme-switch"
      aria-label="Theme"
      title="Theme"
      value={choice}
      onChange={(e) => {
        if (isThemeChoice(e.target.value)) setThemeChoice(e.target.value);
      }}
      data-testid="theme-switch"
    >
      <option value="system">◐ System</option>
      <option value="light">☀ Light</option>
      <option value="dark">☾ Dark</option>
    </select>
  );
}
