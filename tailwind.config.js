/** @type {import('tailwindcss').Config} */
export default {
  content: ['./views/**/*.eta', './public/js/**/*.js', './src/**/*.ts'],
  theme: {
    extend: {
      colors: {
        brand: {
          50: '#eef6ff',
          100: '#d9eaff',
          500: '#2f6fde',
          600: '#1f5bc4',
          700: '#1a4a9e',
        },
      },
      fontFamily: {
        sans: ['system-ui', '-apple-system', 'Segoe UI', 'Roboto', 'Helvetica Neue', 'Arial', 'sans-serif'],
      },
    },
  },
};
