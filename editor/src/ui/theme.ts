import { useSyncExternalStore } from 'react';

/** What the user picked: follow the system setting (`prefers-color-scheme`), or one theme whatever it says. */
export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

/** Where the choice is kept. index.html reads the same key before the first paint, so a page never flashes. */
export const THEME_STORAGE_KEY = 'flowloom-theme';
const CHANGE = 'flowloom:theme';
const QUERY = '(prefers-color-scheme: light)';

export function isThemeChoice(value: unknown): value is ThemeChoice {
  return value === 'system' || value === 'light' || value === 'dark';
}

/** The theme drawn for a choice, given whether the system asks for light. Pure. */
export function resolveTheme(choice: ThemeChoice, prefersLight: boolean): Theme {
  if (choice === 'system') return prefersLight ? 'light' : 'dark';
  return choice;
}

export function getThemeChoice(): ThemeChoice {
  try {
    const stored = localStorage.getItem(THEME_STORAGE_KEY);
    return isThemeChoice(stored) ? stored : 'system';
  } catch {
    return 'system';
  }
}

const media = () => (typeof window.matchMedia === 'function' ? window.matchMedia(QUERY) : null);

function currentTheme(): Theme {
  return resolveTheme(getThemeChoice(), media()?.matches ?? false);
}

/** Draws the page in the current theme: `data-theme` on <html> switches the CSS variables (styles.css). */
export function applyTheme(): void {
  const theme = currentTheme();
  const root = document.documentElement;
  if (root.dataset.theme !== theme) root.dataset.theme = theme;
  root.style.colorScheme = theme;
}

export function setThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(THEME_STORAGE_KEY);
    else localStorage.setItem(THEME_STORAGE_KEY, choice);
  } catch {
    // Storage disabled: the choice lasts until the page closes (the event below still applies it).
  }
  window.dispatchEvent(new Event(CHANGE));
}

function subscribe(onChange: () => void): () => void {
  const query = media();
  const listener = () => {
    applyTheme();
    onChange();
  };
  window.addEventListener(CHANGE, listener);
  // Another tab changed the choice.
  window.addEventListener('storage', listener);
  query?.addEventListener('change', listener);
  return () => {
    window.removeEventListener(CHANGE, listener);
    window.removeEventListener('storage', listener);
    query?.removeEventListener('change', listener);
  };
}

/** The theme drawn now, following the system setting and the user's choice as they change. */
export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, currentTheme);
}

export function useThemeChoice(): ThemeChoice {
  return useSyncExternalStore(subscribe, getThemeChoice);
}
