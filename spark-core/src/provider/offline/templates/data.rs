//! Data: ScriptableObject assets, JSON save files, PlayerPrefs, static helpers, plain classes.

pub(super) const SCRIPTABLE: &str = r#"using UnityEngine;

/// <summary>Data asset: create instances from Assets > Create, edit them in the Inspector, reference them from components.</summary>
[CreateAssetMenu(fileName = "{{NAME}}", menuName = "Game Data/{{NAME}}")]
public class {{NAME}} : ScriptableObject
{
    [SerializeField] private string displayName = "{{NAME}}";
    [SerializeField, TextArea] private string description = "";
    [SerializeField] private Sprite icon;
    [SerializeField, Min(0f)] private float damage = {{P:DAMAGE:10f}};
    [SerializeField, Min(0f)] private float speed = {{P:SPEED:1f}};
    [SerializeField, Min(0f)] private float range = {{P:RANGE:10f}};
    [SerializeField, Min(0)] private int value = 0;

    // Read-only accessors: assets are shared, so gameplay code must not change them at run time.
    public string DisplayName => displayName;
    public string Description => description;
    public Sprite Icon => icon;
    public float Damage => damage;
    public float Speed => speed;
    public float Range => range;
    public int Value => value;
}
"#;

pub(super) const SAVE_JSON: &str = r#"using System;
using System.Collections.Generic;
using System.IO;
using UnityEngine;

/// <summary>What is saved. Add fields here; JsonUtility writes public and [SerializeField] fields.</summary>
[Serializable]
public class SaveData
{
    public int level = 1;
    public int score;
    public float playTimeSeconds;
    public Vector3 playerPosition;
    public List<string> unlockedItems = new List<string>();
}

/// <summary>Saves and loads SaveData as JSON in the persistent data folder, writing through a temporary file.</summary>
public static class {{NAME}}
{
    private const string FileName = "save.json";

    private static string SavePath => Path.Combine(Application.persistentDataPath, FileName);

    /// <summary>Whether a save exists.</summary>
    public static bool HasSave => File.Exists(SavePath);

    /// <summary>Writes the data; a crash mid-write leaves the previous save intact.</summary>
    public static void Save(SaveData data)
    {
        string temporary = SavePath + ".tmp";
        File.WriteAllText(temporary, JsonUtility.ToJson(data, true));
        File.Copy(temporary, SavePath, true);
    }

    /// <summary>The saved data, or fresh data when there is no readable save.</summary>
    public static SaveData Load()
    {
        if (!HasSave)
        {
            return new SaveData();
        }
        try
        {
            return JsonUtility.FromJson<SaveData>(File.ReadAllText(SavePath)) ?? new SaveData();
        }
        catch (Exception e)
        {
            Debug.LogWarning($"Save file unreadable, starting fresh: {e.Message}");
            return new SaveData();
        }
    }
}
"#;

pub(super) const PREFS: &str = r#"using UnityEngine;

/// <summary>Small persistent values in PlayerPrefs (high score, last level, options). Not for secrets or large data.</summary>
public static class {{NAME}}
{
    private const string HighScoreKey = "highScore";
    private const string LastLevelKey = "lastLevel";

    /// <summary>The best score so far.</summary>
    public static int HighScore => PlayerPrefs.GetInt(HighScoreKey, 0);

    /// <summary>Records a score; returns true when it is a new high score.</summary>
    public static bool SubmitScore(int score)
    {
        if (score <= HighScore)
        {
            return false;
        }
        PlayerPrefs.SetInt(HighScoreKey, score);
        // Unity saves PlayerPrefs on quit; saving now survives a crash.
        PlayerPrefs.Save();
        return true;
    }

    /// <summary>The last level played (1 when none).</summary>
    public static int LastLevel
    {
        get => PlayerPrefs.GetInt(LastLevelKey, 1);
        set
        {
            PlayerPrefs.SetInt(LastLevelKey, value);
            PlayerPrefs.Save();
        }
    }

    /// <summary>Forgets everything stored here.</summary>
    public static void ResetAll()
    {
        PlayerPrefs.DeleteKey(HighScoreKey);
        PlayerPrefs.DeleteKey(LastLevelKey);
        PlayerPrefs.Save();
    }
}
"#;

pub(super) const UTILITY: &str = r#"using UnityEngine;

/// <summary>Static helpers and extension methods for everyday gameplay math.</summary>
public static class {{NAME}}
{
    /// <summary>Maps a value from one range to another (unclamped).</summary>
    public static float Remap(float value, float fromMin, float fromMax, float toMin, float toMax)
    {
        if (Mathf.Approximately(fromMin, fromMax))
        {
            return toMin;
        }
        return toMin + (value - fromMin) * (toMax - toMin) / (fromMax - fromMin);
    }

    /// <summary>Frame-rate independent smoothing factor for Lerp (sharpness per second).</summary>
    public static float Damp(float sharpness, float deltaTime)
    {
        return 1f - Mathf.Exp(-sharpness * deltaTime);
    }

    /// <summary>The vector with its y set to zero.</summary>
    public static Vector3 Flat(this Vector3 v)
    {
        return new Vector3(v.x, 0f, v.z);
    }

    /// <summary>Whether two points are within a distance, without a square root.</summary>
    public static bool IsWithin(this Vector3 a, Vector3 b, float distance)
    {
        return (a - b).sqrMagnitude <= distance * distance;
    }

    /// <summary>A random point inside a circle on the XZ plane around a center.</summary>
    public static Vector3 RandomPointOnGround(Vector3 center, float radius)
    {
        Vector2 p = Random.insideUnitCircle * radius;
        return center + new Vector3(p.x, 0f, p.y);
    }
}
"#;

pub(super) const PLAIN: &str = r#"using System;

/// <summary>Plain serializable C# class (no MonoBehaviour): create it with new, keep it in a component's field.</summary>
[Serializable]
public class {{NAME}}
{
    public string id = Guid.NewGuid().ToString("N");
    public string name = "";
    public int value;

    /// <summary>Raised when the value changes, with the old and the new value.</summary>
    public event Action<int, int> ValueChanged;

    public {{NAME}}()
    {
    }

    public {{NAME}}(string name, int value)
    {
        this.name = name;
        this.value = value;
    }

    /// <summary>Sets the value and reports the change.</summary>
    public void SetValue(int newValue)
    {
        if (newValue == value)
        {
            return;
        }
        int old = value;
        value = newValue;
        ValueChanged?.Invoke(old, newValue);
    }

    public override string ToString()
    {
        return $"{name} ({value})";
    }
}
"#;
