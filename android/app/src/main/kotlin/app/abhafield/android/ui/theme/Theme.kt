package app.abhafield.android.ui.theme

import androidx.compose.material3.ColorScheme
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Typography
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.text.TextStyle
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.sp

/**
 * Why this exists: one Material 3 theme for every screen, made for tablets read outdoors by
 * health workers: high-contrast colours (errors are also marked by text and icon, never by
 * colour alone), and type a step larger than Material's defaults (body 18sp) so Devanagari and
 * Nastaliq glyphs stay legible. The system font is used so Hindi and Urdu render with the
 * device's Noto fonts.
 */
private val Light: ColorScheme = lightColorScheme(
    primary = Color(0xFF0B5D7A),
    onPrimary = Color.White,
    primaryContainer = Color(0xFFC4E7F5),
    onPrimaryContainer = Color(0xFF001F2A),
    secondary = Color(0xFF4A6270),
    tertiary = Color(0xFF6A5A00),
    tertiaryContainer = Color(0xFFFBE38A),
    onTertiaryContainer = Color(0xFF211B00),
    error = Color(0xFFB3261E),
    errorContainer = Color(0xFFF9DEDC),
    onErrorContainer = Color(0xFF410E0B),
    background = Color(0xFFFBFCFD),
    surface = Color(0xFFFBFCFD),
)

private val Dark: ColorScheme = darkColorScheme(
    primary = Color(0xFF7FD0F0),
    onPrimary = Color(0xFF003546),
    primaryContainer = Color(0xFF004D64),
    tertiaryContainer = Color(0xFF504300),
    onTertiaryContainer = Color(0xFFFBE38A),
)

private val Base = Typography()

private val AppTypography = Typography(
    headlineSmall = Base.headlineSmall.copy(fontSize = 26.sp, fontWeight = FontWeight.SemiBold),
    titleLarge = Base.titleLarge.copy(fontSize = 24.sp, fontWeight = FontWeight.SemiBold),
    titleMedium = Base.titleMedium.copy(fontSize = 20.sp, fontWeight = FontWeight.SemiBold),
    bodyLarge = Base.bodyLarge.copy(fontSize = 18.sp, lineHeight = 28.sp),
    bodyMedium = Base.bodyMedium.copy(fontSize = 16.sp, lineHeight = 24.sp),
    labelLarge = Base.labelLarge.copy(fontSize = 18.sp, fontWeight = FontWeight.Medium),
    labelMedium = Base.labelMedium.copy(fontSize = 15.sp),
)

/** The app theme. */
@Composable
fun AbhaFieldTheme(dark: Boolean = isSystemInDarkTheme(), content: @Composable () -> Unit) {
    MaterialTheme(colorScheme = if (dark) Dark else Light, typography = AppTypography, content = content)
}

/** Text style for numbers that must be read digit by digit (codes, masked Aadhaar). */
val CodeStyle: TextStyle
    @Composable get() = MaterialTheme.typography.bodyLarge.copy(fontWeight = FontWeight.Medium, letterSpacing = 1.sp)
